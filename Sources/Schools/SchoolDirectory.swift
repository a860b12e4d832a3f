import Foundation
@_exported import DelimitedText

public struct School: Sendable, Hashable {
    public var urn: String
    public var name: String
    public var laCode: String?
    /// GIAS `TelephoneNum`, when the file has it: the number the hub rings when an alert is not acknowledged.
    public var telephone: String?
    public init(urn: String, name: String, laCode: String?, telephone: String? = nil) {
        self.urn = urn
        self.name = name
        self.laCode = laCode
        self.telephone = telephone
    }
}

public struct KeyAdult: Sendable, Hashable {
    public enum Channel: String, Sendable, Hashable, CaseIterable {
        case smtp
        case https
        /// Demos and dry runs only: writes .eml files. Never a school's configured channel.
        case file
    }

    public var urn: String
    public var name: String
    public var email: String
    public var channel: Channel
    public var endpoint: String?
    public init(urn: String, name: String, email: String, channel: Channel, endpoint: String?) {
        self.urn = urn
        self.name = name
        self.email = email
        self.channel = channel
        self.endpoint = endpoint
    }
}

public struct SchoolDirectory: Sendable, Equatable {
    public var schools: [School]
    public var keyAdults: [KeyAdult]
    /// Where `keyAdults` were read (Config/key-adults.csv) and each one's line: a row refused once the
    /// database is asked about it (`checkNamedSchools`) is named as a row the parser refused is.
    public var keyAdultsFile: String
    public var keyAdultLines: [Int]
    /// The schools Config/term-dates.csv gives a calendar of their own, each at its first line, in
    /// the file's order: a URN mistyped there left the school on its LA's calendar, and an alert
    /// whose school came back before its LA had its deadline days late, with no word (audit 26).
    public var calendarSchools: [CalendarSchool]
    public var termDatesFile: String

    public struct CalendarSchool: Sendable, Equatable {
        public var urn: String
        public var line: Int
        public init(urn: String, line: Int) {
            self.urn = urn
            self.line = line
        }
    }

    /// `keyAdultLines` nil: one line each after the header, as a file written from this list would have.
    public init(schools: [School], keyAdults: [KeyAdult], keyAdultsFile: String = "key-adults.csv", keyAdultLines: [Int]? = nil,
                calendarSchools: [CalendarSchool] = [], termDatesFile: String = "term-dates.csv") {
        self.schools = schools
        self.keyAdults = keyAdults
        self.keyAdultsFile = keyAdultsFile
        self.keyAdultLines = keyAdultLines ?? keyAdults.indices.map { $0 + 2 }
        self.calendarSchools = calendarSchools
        self.termDatesFile = termDatesFile
    }

    /// The line of `keyAdults[index]` (a key adult added to the list in code has the next line).
    public func keyAdultLine(_ index: Int) -> Int {
        index < keyAdultLines.count ? keyAdultLines[index] : index + 2
    }
}
