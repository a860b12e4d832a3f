import ArgumentParser
import Foundation
import Ingest
import Schools
import SchoolCalendar
import Settings
import Store

/// Turns any error into one clear line on stderr and the SPEC §9 exit status. Never a stack trace,
/// never personal data: the errors reaching here carry ids and positions only.
enum Failure {
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let e as ExitCode {
            throw e
        } catch let e as IngestFailure {
            for line in e.errors { printError(line.description) }
            throw ExitCode(65)
        } catch let e as MissingFile {
            printError(e.description)
            throw ExitCode(66)
        } catch let e as SettingsError {
            printError(e.description)
            throw ExitCode(65)
        } catch let e as InputError {
            printError(e.description)
            throw ExitCode(65)
        } catch let e as TermDatesError {
            printError(e.description)
            throw ExitCode(65)
        } catch let e as StoreError {
            printError(e.description)
            switch e {
            case .unavailable, .unsupportedURL: throw ExitCode(69)
            case .unknownChild: throw ExitCode(65)
            }
        } catch let e as UsageProblem {
            printError(e.message)
            throw ExitCode(64)
        } catch {
            printError("internal error: \(String(describing: type(of: error)))")
            throw ExitCode(70)
        }
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data(("encompass: " + line + "\n").utf8))
    }
}

/// A bad value on the command line found after parsing (exit 64).
struct UsageProblem: Error {
    let message: String
}
