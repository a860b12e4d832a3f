import Foundation
import Ingest
import RiskModel
import Testing

/// SPEC §2: personal data never goes to logs, and error lines go to stderr.
@Suite struct PrivacyTests {
    @Test func errorMessagesNeverCarryNamesDatesOfBirthOrWords() {
        let futureDob = "2031-05-17"
        let text = Fixture.csv([
            [:],
            // The same child, every personal column changed: each disagreement is an error.
            ["child_given_name": "Xanthea", "child_family_name": "Brightwater", "child_dob": "2014-08-19",
             "child_voice": "He broke the door"],
            ["incident_id": "I-2", "child_dob": futureDob],
            ["incident_id": "I-3", "child_dob": "19/08/2014"],
            ["incident_id": "I-4", "reported_at": "Zephyrine Quillfeather"],
            ["incident_id": "I-5", "child_id": "", "child_voice": "Quillfeather hurt Mummy"],
            // A force's export with its columns shifted: personal values land in checked columns.
            ["incident_id": "I-6", "officer_grade": "Xanthea", "risk_tool": "Brightwater", "school_urn": "2014-08-19",
             "child_present": "He broke the door", "dash_yes_count": "Quillfeather hurt Mummy"],
        ])
        let errors = Fixture.errors(Fixture.ingest(text))
        #expect(errors.count == 13, "\(errors)")
        let secrets = [
            Fixture.givenName, Fixture.familyName, Fixture.dateOfBirth, Fixture.voice,
            "Xanthea", "Brightwater", "2014-08-19", "He broke the door", futureDob, "19/08/2014",
            "Quillfeather hurt Mummy",
        ]
        for error in errors {
            for secret in secrets {
                #expect(!error.contains(secret), "\(error)")
            }
        }
    }
}
