import ArgumentParser
import Foundation
import Ingest
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

    /// The lines to print and the exit status for an error.
    static func explain(_ error: any Error) -> (lines: [String], status: Int32) {
        switch error {
        case let e as IngestFailure: (e.errors.map(\.description), 65)
        case let e as MissingFile: ([e.description], 66)
        case let e as SettingsError: ([e.description], 65)
        case let e as InputError: ([e.description], 65)
        case let e as TermDatesError: ([e.description], 65)
        case let e as UsageProblem: ([e.message], 64)
        case let e as TargetNotEmpty: ([e.description], 65)
        case let e as StoreError:
            switch e {
            case .unavailable, .unsupportedURL, .needsMigration: ([e.description], 69)
            case .invalidURL: ([e.description], 64)
            case .missingDatabase: ([e.description], 66)
            case .unknownChild: ([e.description], 65)
            }
        default:
            if let e = error as? any StoreFailure { (["database unavailable: \(e.problem)"], 69) }
            else { (["internal error: \(String(describing: type(of: error)))"], 70) }
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
struct UsageProblem: Error {
    let message: String
}
