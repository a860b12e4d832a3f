/// How a school reaches the police safeguarding hub (`hub:` in encompass.yaml).
public struct HubContact: Sendable, Hashable, Codable {
    public var name: String
    public var phone: String
    public var email: String

    public init(name: String, phone: String, email: String) {
        self.name = name
        self.phone = phone
        self.email = email
    }
}
