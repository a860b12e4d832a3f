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
    public init(schools: [School], keyAdults: [KeyAdult]) {
        self.schools = schools
        self.keyAdults = keyAdults
    }
}
