import CivilTime
import Foundation
import InputRules

/// A span of whole local dates, both inclusive (SPEC §11: London dates).
public struct ReportPeriod: Sendable, Equatable, CustomStringConvertible {
    public let from: LocalDate
    public let to: LocalDate

    public enum Problem: KindedError, Equatable, CustomStringConvertible {
        public var failureKind: FailureKind { .usage }

        case notADate(option: String, text: String)
        case fromAfterTo(from: LocalDate, to: LocalDate)

        public var description: String {
            switch self {
            case .notADate(let option, _): "\(option) must be a date as YYYY-MM-DD in the years \(LocalDate.enteredYears.lowerBound) to \(LocalDate.enteredYears.upperBound), such as 2026-10-01"
            case .fromAfterTo(let from, let to): "--from \(from) is after --to \(to)"
            }
        }
    }

    public init(from: LocalDate, to: LocalDate) throws(Problem) {
        guard from <= to else { throw .fromAfterTo(from: from, to: to) }
        self.from = from
        self.to = to
    }

    /// From the text of `--from` and `--to` (the page names each field's own, `ReportRoutes.period`).
    public init(fromText: String, toText: String) throws(Problem) {
        guard let from = LocalDate(entered: fromText) else { throw .notADate(option: "--from", text: fromText) }
        guard let to = LocalDate(entered: toText) else { throw .notADate(option: "--to", text: toText) }
        try self.init(from: from, to: to)
    }

    public var description: String { "\(from) to \(to)" }

    /// The day after the last: where the period ends in time is that day's local midnight.
    public var end: LocalDate { to.adding(days: 1) }

    /// The calendar month holding `date`, by day counts, which never fail (a month at either end of
    /// the calendar's years has no neighbour to name; entered dates stay away from them,
    /// `LocalDate.enteredYears`).
    public static func month(of date: LocalDate) -> ReportPeriod {
        let first = date.adding(days: 1 - date.day)
        let last = first.adding(days: LocalDate.daysIn(month: date.month, year: date.year) - 1)
        return ReportPeriod(checked: first, to: last)
    }

    /// `from` known to be on or before `to`.
    private init(checked from: LocalDate, to: LocalDate) {
        self.from = from
        self.to = to
    }

    /// `count` whole calendar months, oldest first, the last being the month holding `date`.
    public static func months(endingWith date: LocalDate, count: Int = 12) -> [ReportPeriod] {
        var months = [month(of: date)]
        while months.count < count { months.insert(month(of: months[0].from.adding(days: -1)), at: 0) }
        return months
    }

    /// `2026-10`, the month's name in the CSV and the chart.
    public var monthText: String { String(from.description.prefix(7)) }
}
