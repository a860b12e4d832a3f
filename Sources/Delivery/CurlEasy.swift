import AlertLifecycle
import CCurl
import Foundation
import Synchronization

/// One libcurl easy handle and what a transfer on it must keep alive (the body, header lists, the
/// error buffer). Owned by one worker thread, which reuses it (and so its connection) for
/// transfer after transfer.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private var upload: UploadSource?
    /// The relay's last refusal (a 4xx or 5xx line) and its answer to each RCPT, read through
    /// libcurl's debug callback.
    private let replies = ServerReplies()

    init?() {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        freeLists()
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sets every option for `request`. Returns the name of the first option libcurl refused
    /// (an old libcurl, or a value it cannot take), or nil when all were taken.
    func configure(_ request: TransferRequest, timeouts: TransferTimeouts, abort: AbortSignal) -> String? {
        var refused: String?
        func check(_ code: CURLcode, _ name: String) {
            if code != CURLE_OK, refused == nil { refused = name }
        }
        errorBuffer[0] = 0
        replies.reset()
        check(ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        check(ccurl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "ERRORBUFFER")
        check(ccurl_easy_setopt_string(handle, CURLOPT_URL, request.url), "URL")
        check(ccurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeouts.connect.milliseconds), "CONNECTTIMEOUT_MS")
        check(ccurl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeouts.total.milliseconds), "TIMEOUT_MS")
        check(ccurl_easy_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, timeouts.lowSpeedBytesPerSecond), "LOW_SPEED_LIMIT")
        check(ccurl_easy_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, timeouts.lowSpeedTime.milliseconds / 1000)), "LOW_SPEED_TIME")
        // Also bounds the wait for the reply to QUIT when the handle is closed, which libcurl
        // takes from the last transfer's settings.
        check(ccurl_easy_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, max(1, timeouts.lowSpeedTime.milliseconds / 1000)), "SERVER_RESPONSE_TIMEOUT")
        check(ccurl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), "SSL_VERIFYPEER")
        check(ccurl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), "SSL_VERIFYHOST")
        check(ccurl_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION")
        check(ccurl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, discardResponse), "WRITEFUNCTION")
        check(ccurl_easy_setopt_long(handle, CURLOPT_NOPROGRESS, 0), "NOPROGRESS")
        check(ccurl_easy_setopt_xferinfo_callback(handle, CURLOPT_XFERINFOFUNCTION, abortIfSignalled), "XFERINFOFUNCTION")
        check(ccurl_easy_setopt_pointer(handle, CURLOPT_XFERINFODATA, Unmanaged.passUnretained(abort).toOpaque()), "XFERINFODATA")
        if !request.caFile.isEmpty {
            check(ccurl_easy_setopt_string(handle, CURLOPT_CAINFO, request.caFile), "CAINFO")
        }
        if let resolve = list(request.resolve) {
            check(ccurl_easy_setopt_slist(handle, CURLOPT_RESOLVE, resolve), "RESOLVE")
        }
        switch request.kind {
        case .smtp(let envelope):
            check(ccurl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps"), "PROTOCOLS_STR")
            // The relay's own words for a refusal (its enhanced status code and text) reach us only
            // through the debug callback: libcurl keeps just the number.
            check(ccurl_easy_setopt_debug_callback(handle, CURLOPT_DEBUGFUNCTION, keepServerRefusal), "DEBUGFUNCTION")
            check(ccurl_easy_setopt_pointer(handle, CURLOPT_DEBUGDATA, Unmanaged.passUnretained(replies).toOpaque()), "DEBUGDATA")
            check(ccurl_easy_setopt_long(handle, CURLOPT_VERBOSE, 1), "VERBOSE")
            let level = envelope.security == .plaintext ? CURLUSESSL_NONE : CURLUSESSL_ALL
            check(ccurl_easy_setopt_long(handle, CURLOPT_USE_SSL, Int(level.rawValue)), "USE_SSL")
            if envelope.probeOnly {
                // libcurl sends a custom SMTP command with no body after EHLO, STARTTLS and AUTH.
                check(ccurl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "NOOP"), "CUSTOMREQUEST")
                check(ccurl_easy_setopt_long(handle, CURLOPT_NOBODY, 1), "NOBODY")
                if !envelope.username.isEmpty {
                    check(ccurl_easy_setopt_string(handle, CURLOPT_USERNAME, envelope.username), "USERNAME")
                    check(ccurl_easy_setopt_string(handle, CURLOPT_PASSWORD, envelope.password), "PASSWORD")
                }
                return refused
            }
            check(ccurl_easy_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(envelope.mailFrom)>"), "MAIL_FROM")
            if let recipients = list(envelope.recipients.map { "<\($0)>" }) {
                check(ccurl_easy_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients), "MAIL_RCPT")
            }
            if envelope.recipients.count > 1 {
                // A deputy's address the school's server refuses must not stop the key adult's
                // copy: the message goes if any recipient takes it, and fails only if none does.
                // (CURLOPT_MAIL_RCPT_ALLOWFAILS, 290; libcurl 7.88 spells it ALLLOWFAILS.)
                check(ccurl_easy_setopt_long(handle, CURLoption(rawValue: 290), 1), "MAIL_RCPT_ALLOWFAILS")
            }
            if !envelope.username.isEmpty {
                check(ccurl_easy_setopt_string(handle, CURLOPT_USERNAME, envelope.username), "USERNAME")
                check(ccurl_easy_setopt_string(handle, CURLOPT_PASSWORD, envelope.password), "PASSWORD")
            }
            let source = UploadSource(request.body)
            upload = source
            check(ccurl_easy_setopt_long(handle, CURLOPT_UPLOAD, 1), "UPLOAD")
            check(ccurl_easy_setopt_data_callback(handle, CURLOPT_READFUNCTION, readUpload), "READFUNCTION")
            check(ccurl_easy_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque()), "READDATA")
            check(ccurl_easy_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count)), "INFILESIZE_LARGE")
        case .https(let headers):
            check(ccurl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "https"), "PROTOCOLS_STR")
            check(ccurl_easy_setopt_long(handle, CURLOPT_POST, 1), "POST")
            check(ccurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)), "POSTFIELDSIZE_LARGE")
            request.body.withUnsafeBytes { bytes in
                // COPYPOSTFIELDS copies, so the body need not outlive this call.
                let base = bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
                check(ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, base), "COPYPOSTFIELDS")
            }
            if let headerList = list(headers) {
                check(ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "HTTPHEADER")
            }
        }
        return refused
    }

    /// Runs the transfer to its end: blocking, so only ever on a worker thread of its own.
    func perform() -> CURLcode {
        curl_easy_perform(handle)
    }

    /// What happened, read after the transfer ended.
    func result(_ code: CURLcode) -> (failure: TransferFailure, reply: Int, message: String, replyText: String?,
                                      refusedRecipients: [RefusedAddress], recipientWords: [Int: String]) {
        var reply = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
        var connectTime: curl_off_t = 0
        _ = ccurl_easy_getinfo_off_t(handle, CURLINFO_CONNECT_TIME_T, &connectTime)
        let buffer = String(cString: errorBuffer)
        let message = buffer.isEmpty ? String(cString: curl_easy_strerror(code)) : buffer
        return (Self.failure(code, connected: connectTime > 0), reply, message + " (curl \(code.rawValue))", replies.last,
                replies.refusedRecipients, replies.recipientWords)
    }

    /// Ready for the next transfer: options cleared, the connection kept in the handle's cache.
    func reset() {
        freeLists()
        upload = nil
        curl_easy_reset(handle)
    }

    private func list(_ lines: [String]) -> UnsafeMutablePointer<curl_slist>? {
        guard !lines.isEmpty else { return nil }
        var head: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            head = curl_slist_append(head, line)
        }
        if let head { lists.append(head) }
        return head
    }

    private func freeLists() {
        for list in lists { curl_slist_free_all(list) }
        lists = []
    }

    static func failure(_ code: CURLcode, connected: Bool) -> TransferFailure {
        switch code {
        case CURLE_OK:
            .none
        case CURLE_PEER_FAILED_VERIFICATION:
            .untrustedCertificate
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            .tls
        case CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CLIENTCERT,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            .tlsSettings
        case CURLE_USE_SSL_FAILED:
            .startTLSUnavailable
        case CURLE_LOGIN_DENIED, CURLE_AUTH_ERROR:
            .login
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            .unreachable
        case CURLE_OPERATION_TIMEDOUT:
            connected ? .timeout : .unreachable
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY:
            .network
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_NOT_BUILT_IN, CURLE_BAD_FUNCTION_ARGUMENT,
             CURLE_UNKNOWN_OPTION, CURLE_SETOPT_OPTION_SYNTAX:
            .setup
        default:
            .other
        }
    }
}

/// The last line a relay answered with 4xx or 5xx in one transfer, and the recipients it refused.
/// With `CURLOPT_MAIL_RCPT_ALLOWFAILS` libcurl goes on past a refused RCPT and keeps only the last
/// refusal's code, so a school's dead address would never be known while another key adult takes
/// the alert. libcurl sends each RCPT TO and reads its reply before it sends the next (it does not
/// pipeline them), and shows both to the debug callback: the reply that follows an RCPT is its answer.
final class ServerReplies {
    var last: String?
    private(set) var refusedRecipients: [RefusedAddress] = []
    /// The relay's line for each code it refused an RCPT with: when every recipient was refused,
    /// the code that decides may not be the last line's (`FailureClassifier.deciding`).
    private(set) var recipientWords: [Int: String] = [:]
    /// The address of the RCPT sent last, until its reply is read.
    private var pendingRecipient: String?

    func reset() {
        last = nil
        refusedRecipients = []
        recipientWords = [:]
        pendingRecipient = nil
    }

    func take(_ bytes: UnsafeBufferPointer<UInt8>) {
        for line in bytes.split(whereSeparator: { $0 == 0x0A || $0 == 0x0D }) {
            guard let first = line.first, first >= 0x32, first <= 0x35 else { continue }
            let text = String(decoding: line, as: UTF8.self)
            if first == 0x34 || first == 0x35 { last = text }
            // A reply's last line has a space after its code ("250-" lines go before it).
            guard let recipient = pendingRecipient, let code = Int(text.prefix(3)), text.dropFirst(3).first != "-" else { continue }
            pendingRecipient = nil
            if code >= 400 {
                refusedRecipients.append(RefusedAddress(address: recipient, replyCode: code))
                recipientWords[code] = text
            }
        }
    }

    /// A command we sent: an RCPT's address is kept until its reply comes.
    func sent(_ bytes: UnsafeBufferPointer<UInt8>) {
        let line = String(decoding: bytes, as: UTF8.self)
        guard line.uppercased().hasPrefix("RCPT TO:"), let open = line.firstIndex(of: "<"),
              let close = line[open...].firstIndex(of: ">") else { return }
        pendingRecipient = String(line[line.index(after: open)..<close])
    }
}

/// Reads the relay's replies (libcurl shows them as incoming headers) and the RCPT commands we sent
/// (outgoing headers); everything else, the message itself included, is ignored.
private let keepServerRefusal: curl_debug_callback = { _, type, data, size, context in
    guard type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT, let data, let context else { return 0 }
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: size)
    let replies = Unmanaged<ServerReplies>.fromOpaque(context).takeUnretainedValue()
    if type == CURLINFO_HEADER_IN { replies.take(bytes) } else { replies.sent(bytes) }
    return 0
}

/// The bytes an SMTP upload reads from, through `readUpload`.
final class UploadSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ data: Data) { bytes = Array(data) }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

private let readUpload: ccurl_data_callback = { buffer, size, count, context in
    guard let buffer, let context else { return 0 }
    return Unmanaged<UploadSource>.fromOpaque(context).takeUnretainedValue().read(into: buffer, capacity: size * count)
}

/// Set when the reader of the outcomes has gone: transfers in flight stop at libcurl's next
/// progress call (at least once a second) instead of running to their timeout.
final class AbortSignal: Sendable {
    private let raised = Atomic(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

private let abortIfSignalled: curl_xferinfo_callback = { context, _, _, _, _ in
    guard let context else { return 0 }
    return Unmanaged<AbortSignal>.fromOpaque(context).takeUnretainedValue().isRaised ? 1 : 0
}

// Receivers' replies are not kept: they may echo what we sent.
private let discardResponse: ccurl_data_callback = { _, size, count, _ in size * count }

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
