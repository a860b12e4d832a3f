import CCurl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum CurlGlobal {
    /// libcurl's one-time set-up, done before any transfer thread starts.
    static let ready: Bool = {
        #if canImport(Glibc)
        // With CURLOPT_NOSIGNAL (needed with threads) libcurl no longer masks SIGPIPE, and a
        // receiver that hangs up mid-TLS-write must fail that one transfer, not end the process.
        signal(SIGPIPE, SIG_IGN)
        #endif
        return curl_global_init(ccurl_global_default) == CURLE_OK
    }()
}
