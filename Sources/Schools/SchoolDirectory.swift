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
    /// database is asked about it (`checkKeyAdultSchools`) is named as a row the parser refused is.
    public var keyAdultsFile: String
    public var keyAdultLines: [Int]
    /// `keyAdultLines` nil: one line each after the header, as a file written from this list would have.
    public init(schools: [School], keyAdults: [KeyAdult], keyAdultsFile: String = "key-adults.csv", keyAdultLines: [Int]? = nil) {
        self.schools = schools
        self.keyAdults = keyAdults
        self.keyAdultsFile = keyAdultsFile
        self.keyAdultLines = keyAdultLines ?? keyAdults.indices.map { $0 + 2 }
    }

    /// The line of `keyAdults[index]` (a key adult added to the list in code has the next line).
    public func keyAdultLine(_ index: Int) -> Int {
        index < keyAdultLines.count ? keyAdultLines[index] : index + 2
    }
}
