import CivilTime
import Foundation

/// Term calendars: one per local authority, and one per school that keeps its own (independent
/// schools, academies with their own dates). A school's own calendar replaces its LA's entirely.
public struct TermDates: Sendable {
    /// Both dates inclusive.
    public struct Term: Sendable, Hashable, CustomStringConvertible {
        public let start: LocalDate
        public let end: LocalDate

        /// A term whose end is before its start contains no day.
        public init(start: LocalDate, end: LocalDate) {
            self.start = start
            self.end = end
        }

        public func contains(_ d: LocalDate) -> Bool { start <= d && d <= end }

        public var description: String { "\(start)..\(end)" }
    }

    private let laCalendars: [String: TermCalendar]
    private let urnCalendars: [String: TermCalendar]
    /// The line of term-dates.csv where each school's own calendar starts (read from a file): a
    /// school we do not know is refused there, as a key adult's is (`SchoolDirectory.unknownSchoolRows`).
    public let ownCalendarLines: [String: Int]

    /// Keys are LA codes (`925`) and URNs (`139900`). Terms may come in any order; an empty list
    /// counts as no calendar.
    public init(byLA: [String: [Term]], byURN: [String: [Term]], ownCalendarLines: [String: Int] = [:]) {
        laCalendars = byLA.compactMapValues(TermCalendar.init)
        urnCalendars = byURN.compactMapValues(TermCalendar.init)
        self.ownCalendarLines = ownCalendarLines
    }

    /// No calendars at all: every non-holiday weekday is a school day.
    public static let none = TermDates(byLA: [:], byURN: [:])

    public var byLA: [String: [Term]] { laCalendars.mapValues(\.terms) }
    public var byURN: [String: [Term]] { urnCalendars.mapValues(\.terms) }

    /// The school's terms sorted by start; nil when no calendar is known for this school
    /// (then every non-holiday weekday is a school day). URN rows override the LA's calendar.
    public func terms(urn: String?, laCode: String?) -> [Term]? {
        calendar(urn: urn, laCode: laCode)?.terms
    }

    /// Whether the school has term rows of its own (which override its LA's).
    public func hasOwnTerms(urn: String) -> Bool { urnCalendars[urn] != nil }

    func calendar(urn: String?, laCode: String?) -> TermCalendar? {
        if let urn, let own = urnCalendars[urn] { return own }
        if let laCode { return laCalendars[laCode] }
        return nil
    }
}

/// One school's or LA's sorted terms, with the span they cover.
struct TermCalendar: Sendable {
    let terms: [TermDates.Term]
    let first: LocalDate
    let last: LocalDate

    init?(_ unsorted: [TermDates.Term]) {
        let sorted = unsorted.filter { $0.start <= $0.end }.sorted { $0.start < $1.start }
        guard let head = sorted.first else { return nil }
        terms = sorted
        first = head.start
        last = sorted.map(\.end).max()!
    }

    /// Dates before the first term or after the last are outside what the file knows, so they
    /// are treated like a school with no calendar (true): an alert must never be held back
    /// waiting for a term nobody has entered yet.
    func allowsSchool(on d: LocalDate) -> Bool {
        if d < first || d > last { return true }
        return terms.contains { $0.contains(d) }
    }
}
