import ArgumentParser
import Foundation
import Ingest
import InputRules
import Schools
import SchoolCalendar
import Settings
import StoreContract

/// Turns any error into one clear line on stderr and the SPEC §9 exit status. Never a stack trace,
/// never personal data: the errors reaching here carry ids and positions only.
enum Failure {
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let e as ExitCode {
            throw e
        } catch {
            let (lines, status) = explain(error)
            // Input errors already start with their FILE:LINE, exactly as the SPEC prints them.
            let located = error is IngestFailure || error is InputError || error is TermDatesError
                || error is SettingsError || error is MissingFile
            for line in lines { located ? printLine(line) : printError(line) }
            throw ExitCode(status)
        }
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
            return (["internal error: \(String(describing: type(of: error)))"], status)
        }
    }

    static func printError(_ line: String) {
        printLine("encompass: " + line)
    }

    static func printLine(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// A bad value on the command line found after parsing (exit 64).
struct UsageProblem: KindedError {
    let message: String
    var failureKind: FailureKind { .usage }
}
