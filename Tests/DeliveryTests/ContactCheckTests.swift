import Delivery
import Foundation
import Schools
import Testing

/// key-adults.csv and delivery ask the one `ContactAddress` check: a contact the loader takes is
/// one delivery will try, and one delivery would refuse is stopped at load, by line and column.
@Suite struct ContactCheckTests {
    /// Each of these passed the loader's old check and was refused only when an alert went out.
    static let badEmails = [
        "dsl<x>@school.example", "\"dsl\"@school.example", "dsl;x@school.example",
        "dsl@school", "dsl@.example", "dsl@school..example", "dsl@school.example.",
        // A C1 control (U+009B, a terminal's CSI) and invisible format characters: FieldText's rule for ids.
        "dsl\u{9B}@school.example", "dsl\u{200B}@school.example", "dsl@school\u{202E}.example",
    ]
    static let badEndpoints = ["https://", "https:///encompass", "https://:8443/encompass", "HTTPS://bad host.example/x"]

    private func load(channel: String, email: String, endpoint: String = "") throws(InputError) -> [KeyAdult] {
        func field(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let csv = "urn,name,email,channel,endpoint\n120501,Key Adult,\(field(email)),\(channel),\(field(endpoint))\n"
        return try SchoolDirectory.parseKeyAdults(Data(csv.utf8), fileName: "key-adults.csv")
    }

    @Test func aMistypedColumnIsPointedOut() {
        let csv = "urn,name,e-mail,channel,endpoint\n120501,Key Adult,dsl@school.example,smtp,\n"
        let error = #expect(throws: InputError.self) { try SchoolDirectory.parseKeyAdults(Data(csv.utf8), fileName: "key-adults.csv") }
        #expect(error?.description == "key-adults.csv:1: email: missing column (the header has \"e-mail\": a typo?)")
    }

    @Test(arguments: badEmails)
    func anAddressDeliveryWouldRefuseIsRefusedAtLoad(address: String) async throws {
        let error = try #require(throws: InputError.self) { try load(channel: "smtp", email: address) }
        #expect(error.description == "key-adults.csv:2: email: expected an e-mail address")

        let relay = SMTPRelay(url: "smtp://127.0.0.1:9", from: "encompass@police.example")
        let outcome = try #require(await CurlTransport(relay: relay, webhooks: nil).send([Fixtures.alert(to: address)]).first)
        #expect(outcome.status == .permanent)
        #expect(!outcome.attempted)
    }

    /// A comma is how one alert carries a school's key adult and deputies (`ContactAddress.joined`),
    /// so a row may not smuggle a second address in: each person is a row of their own.
    @Test func twoAddressesInOneRowAreRefusedAtLoad() throws {
        let error = try #require(throws: InputError.self) { try load(channel: "smtp", email: "dsl@school.example,bcc@other.example") }
        #expect(error.description == "key-adults.csv:2: email: expected an e-mail address")
        #expect(ContactAddress.recipients("dsl@school.example, deputy@school.example") == ["dsl@school.example", "deputy@school.example"])
        #expect(ContactAddress.recipients("dsl@school.example, not an address") == nil)
        #expect(ContactAddress.recipients("") == nil)
    }

    @Test(arguments: badEndpoints)
    func anEndpointDeliveryWouldRefuseIsRefusedAtLoad(endpoint: String) async throws {
        let error = try #require(throws: InputError.self) {
            try load(channel: "https", email: "dsl@school.example", endpoint: endpoint)
        }
        #expect(error.description == "key-adults.csv:2: endpoint: expected an https:// URL with a host")

        let message = try Fixtures.alert(to: endpoint, channel: .https)
        let outcome = try #require(await CurlTransport(relay: nil, webhooks: WebhookConfiguration(secret: "s")).send([message]).first)
        #expect(outcome.status == .configuration)
        #expect(!outcome.attempted)
    }

    /// An address twice at one school is refused by line, without the address: it names a person.
    @Test func aRepeatedAddressIsRefusedWithoutQuotingIt() {
        let csv = "urn,name,email,channel,endpoint\n120501,Ann Lead,dsl@school.example,smtp,\n120501,Ann Again,DSL@school.example,smtp,\n"
        let error = #expect(throws: InputError.self) { try SchoolDirectory.parseKeyAdults(Data(csv.utf8), fileName: "key-adults.csv") }
        #expect(error?.description == "key-adults.csv:3: email: that address is already a key adult at school 120501")
    }

    @Test func contactsDeliveryTakesLoad() throws {
        #expect(try load(channel: "smtp", email: "dsl@boston.school.example").first?.email == "dsl@boston.school.example")
        #expect(try load(channel: "smtp", email: "o'brien+dsl@st-giles.sch.uk").count == 1)
        let adults = try load(channel: "https", email: "", endpoint: "https://127.0.0.1:8443/encompass/alerts")
        #expect(adults.first?.endpoint == "https://127.0.0.1:8443/encompass/alerts")
        #expect(ContactAddress.endpoint("https://School.Example:8443/x")?.port == 8443)
    }
}
