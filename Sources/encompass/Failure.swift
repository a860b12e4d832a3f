import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Ingest
import InputRules
import Schools
import SchoolCalendar
import Settings
import StoreContract

/// Turns any error into one clear line on stderr and the SPEC §9 exit status. Never a stack trace,
/// never personal data: the errors reaching here carry ids and positions only.
enum Failure {
    /// - Parameter checkingEnvironment: false only for a command whose body checks the environment
    ///   itself, first (`notify`: its morning run records the refusal as the run's outcome).
    static func run(checkingEnvironment: Bool = true, _ body: () async throws -> Void) async throws {
        do {
            // Before anything: an ENCOMPASS_DATABSE typo must not let `migrate` or `users add` make
            // a new database, as it would for the commands that read the settings (which check too).
            if checkingEnvironment { try EnvironmentVariables.check(ProcessInfo.processInfo.environment) }
            try await body()
            // What `print` wrote may still be in stdio's buffer, or may have failed already (a full
            // disk, a closed file): the answer would be lost and the command still exit 0.
            if let out = Self.standardOutput {
                if fflush(out) != 0 { throw InputOutputFailure(errno: errno) }
                // An earlier write failed: its reason (errno) is gone by now.
                if ferror(out) != 0 { throw InputOutputFailure(errno: nil) }
            }
        } catch let e as ExitCode {
            throw e
        } catch {
            if Self.readerLeft(error) { endAsTheReaderLeft() }
            let (lines, status) = explain(error)
            // Input errors already start with their FILE:LINE, exactly as the SPEC prints them.
            let located = error is IngestFailure || error is InputError || error is TermDatesError
                || error is SettingsError || error is MissingFile
            for line in lines { located ? printLine(line) : printError(line) }
            throw ExitCode(status)
        }
    }

    /// The answer's reader went away (`encompass alerts | head`): a broken pipe, not a failure.
    /// With SIGPIPE at its default the kernel ends the process at the first such write, as it
    /// ends any Unix tool; but SwiftNIO (PostgreSQL) and libcurl (notify) set it to be ignored
    /// for their sockets, so on PostgreSQL the write failed with EPIPE and was told as exit 69
    /// where SQLite ended with 141 (audit 21, spec F2). An earlier write's errno is gone by the
    /// end (`ferror`): a pipe with no reader left still says so to `poll`.
    static func readerLeft(_ error: any Error) -> Bool {
        let failure = error as? InputOutputFailure ?? InputOutputFailure(error as NSError)
        guard let failure else { return false }
        if let code = failure.code { return code == EPIPE }
        var out = pollfd(fd: STDOUT_FILENO, events: Int16(POLLOUT), revents: 0)
        return poll(&out, 1, 0) == 1 && out.revents & Int16(POLLERR) != 0
    }

    /// Ends the process by SIGPIPE, as the kernel would have, so the shell sees what it sees of any
    /// tool whose reader left (141 under `set -o pipefail`), on both databases alike.
    static func endAsTheReaderLeft() -> Never {
        signal(SIGPIPE, SIG_DFL)
        var pipeOnly = sigset_t()
        sigemptyset(&pipeOnly)
        sigaddset(&pipeOnly, SIGPIPE)
        pthread_sigmask(SIG_UNBLOCK, &pipeOnly, nil)
        raise(SIGPIPE)
        exit(128 + SIGPIPE) // Not reached: the signal ends the process first.
    }

    /// C's `stdout`, the stream `print` writes to, found by name: Swift 6 will not read the C
    /// global itself (a mutable global), and this program only checks it once, at its end.
    static var standardOutput: UnsafeMutablePointer<FILE>? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "stdout")?.assumingMemoryBound(to: UnsafeMutablePointer<FILE>?.self).pointee
    }

    /// The lines to print and the exit status for an error. The status is the error's own kind
    /// (`KindedError`, issue 10): no type is mapped to a number here.
    static func explain(_ error: any Error) -> (lines: [String], status: Int32) {
        let status = FailureKind.of(error).exitStatus
        switch error {
        case let e as IngestFailure: return (e.errors.map(\.description), status)
        case let e as UsageProblem: return ([e.message], status)
        case let e as any KindedProblems: return (e.lines, status)
        case let e as any StoreFailure: return (["database unavailable: \(e.problem)"], status)
        case let e as any KindedError & CustomStringConvertible: return ([e.description], status)
        default:
            if let failure = InputOutputFailure(error as NSError) { return ([failure.description], failure.failureKind.exitStatus) }
            return (["internal error: \(String(describing: type(of: error)))"], status)
        }
    }

    static func printError(_ line: String) {
        printLine("encompass: " + line)
    }

    static func printLine(_ line: String) {
        // A standard error that cannot be written leaves nowhere to say so: the exit status still does.
        try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
    }
}

/// A bad value on the command line found after parsing (exit 64).
struct UsageProblem: KindedError {
    let message: String
    var failureKind: FailureKind { .usage }

    /// Ids and names given on the command line (a child's id, `--by`), checked before anything is
    /// opened: not blank (`FieldText.isBlank`: a decision or plan step by nobody is not an
    /// accountable record, and an empty child id is a bad command line, not an unknown child), and
    /// the one text rule for ids (FieldText). An option not given (nil) passes.
    static func checkIdentifiers(_ values: [(option: String, value: String?)]) throws(UsageProblem) {
        for (option, value) in values {
            guard let value else { continue }
            if FieldText.isBlank(value) { throw UsageProblem(message: "\(option): is empty") }
            if let problem = FieldText.problem(value, as: .identifier) { throw UsageProblem(message: "\(option): \(problem)") }
        }
    }
}

/// Output or input the system refused (a full disk, a closed file): the command's answer did not
/// get where it was going. Exit 69, the system being what is unavailable; the reason is the
/// system's own words, which name no person.
struct InputOutputFailure: KindedError, CustomStringConvertible {
    let code: Int32?
    var failureKind: FailureKind { .unavailable }
    var description: String {
        guard let code else { return "could not write the output: standard output refused it (a full disk, or a closed file?)" }
        return "could not write or read a file: \(String(cString: strerror(code)))"
    }

    init(errno code: Int32?) { self.code = code }

    /// Foundation's file errors carry the system's error number, themselves or underneath.
    init?(_ error: NSError) {
        if error.domain == NSPOSIXErrorDomain {
            code = Int32(error.code)
        } else if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            code = Int32(underlying.code)
        } else {
            return nil
        }
    }
}
