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
            case .notADate(let option, _): "\(option) must be a date as YYYY-MM-DD, such as 2026-10-01"
            case .fromAfterTo(let from, let to): "--from \(from) is after --to \(to)"
            }
        }
    }

    public init(from: LocalDate, to: LocalDate) throws(Problem) {
        guard from <= to else { throw .fromAfterTo(from: from, to: to) }
        self.from = from
        self.to = to
    }

    /// From the text of `--from` and `--to` (or the page's fields).
    public init(fromText: String, toText: String, fromName: String = "--from", toName: String = "--to") throws(Problem) {
        guard let from = LocalDate(iso: fromText) else { throw .notADate(option: fromName, text: fromText) }
        guard let to = LocalDate(iso: toText) else { throw .notADate(option: toName, text: toText) }
        try self.init(from: from, to: to)
    }

    public var description: String { "\(from) to \(to)" }

    /// The day after the last: where the period ends in time is that day's local midnight.
    public var end: LocalDate { to.adding(days: 1) }

    /// The calendar month holding `date`.
    public static func month(of date: LocalDate) -> ReportPeriod {
        let first = LocalDate(year: date.year, month: date.month, day: 1)!
        let next = date.month == 12 ? LocalDate(year: date.year + 1, month: 1, day: 1)! : LocalDate(year: date.year, month: date.month + 1, day: 1)!
        return try! ReportPeriod(from: first, to: next.adding(days: -1))
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
