import Foundation
import StoreContract

extension NotifyRun {
    /// The morning run from its first step (`encompass notify`): `prepare` reads the settings, the
    /// calendar and the templates and opens the store into a run, which then runs.
    ///
    /// Whatever stops it is recorded as the run's outcome (`error`, with its one line) whenever a
    /// store answers, so `/metrics` shows the failed run: within `run(now:)`
    /// when it stops there, and here when it stops before it began. A run stopped by our own
    /// settings (a term-dates.csv edited wrong, a missing template: exit 65/66) was recorded
    /// nowhere, and `/metrics` kept the last good run's `ok` for 26 hours, past the next 09:00.
    /// - Parameters:
    ///   - storeToRecordIn: the store as it is, when `prepare` failed (nil: there is none, and
    ///     none is made to record in).
    ///   - reason: the error's one line as the command prints it (ids and positions only).
    public static func morning(
        prepare: () async throws -> (run: NotifyRun, now: Date),
        storeToRecordIn: () async throws -> (any AlertStore)?,
        reason: @escaping @Sendable (any Error) -> String,
        wallClock: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> Report {
        let started = wallClock()
        let prepared: (run: NotifyRun, now: Date)
        do {
            prepared = try await prepare()
        } catch {
            // The store may be the thing that failed: then there is nowhere to record, and the
            // command's own exit status (and the unit's failure) are what is left.
            if let store = try? await storeToRecordIn() {
                // On the database's clock, as every run that began is recorded (`RunClock`): by this
                // host's, on a host behind the database, it was recorded before the last good run
                // and `/metrics` went on showing that run's `ok` (audit 23, review F8).
                let clock = RunClock(given: nil, databaseNow: try? await store.databaseClock(), host: wallClock)
                try? await store.recordNotifyRun(NotifyRunRecord(startedAt: started.addingTimeInterval(-clock.skew), finishedAt: clock.now(),
                                                                 outcome: .error, detail: stoppedLine(reason(error))))
            }
            throw error
        }
        var run = prepared.run
        run.stoppedBecause = reason
        return try await run.run(now: prepared.now)
    }

    /// A stopped run's reason as it is kept: one line, at most 300 characters.
    static func stoppedLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: "; ")
        return line.count > 300 ? String(line.prefix(299)) + "…" : line
    }
}
