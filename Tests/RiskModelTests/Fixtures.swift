import CivilTime
import Foundation
import RiskModel
import Testing

/// Dates and facts built from fixed instants, so every test is independent of the clock.
enum Fixture {
    static let day: TimeInterval = 86_400
    /// A Sunday in GMT, well away from the clock changes.
    static let asOf = date("2026-11-22T08:00:00Z")
    static let defaults = ScoringSettings()

    /// Parses ISO 8601 with `Z` or an offset; a malformed fixture is a bug in the test itself.
    static func date(_ iso: String) -> Date {
        do { return try Date(iso, strategy: .iso8601) } catch { fatalError("bad fixture date \(iso)") }
    }

    static func localDate(_ iso: String) -> LocalDate {
        guard let d = LocalDate(iso: iso) else { fatalError("bad fixture date \(iso)") }
        return d
    }

    /// An incident `days` days and `seconds` seconds before `asOf` (negative: after it).
    static func fact(
        _ id: String, daysBefore days: Double = 0, seconds: Double = 0, _ grade: Grade = .standard,
        asOf: Date = Fixture.asOf
    ) -> IncidentFact {
        IncidentFact(incidentId: id, reportedAt: asOf.addingTimeInterval(-(days * day + seconds)), grade: grade)
    }

    static func fact(_ id: String, at iso: String, _ grade: Grade = .standard) -> IncidentFact {
        IncidentFact(incidentId: id, reportedAt: date(iso), grade: grade)
    }

    static func assess(
        _ facts: [IncidentFact], referrals: [LocalDate] = [], child: String = "C-1",
        asOf: Date = Fixture.asOf, settings: ScoringSettings = Fixture.defaults
    ) -> Assessment? {
        RiskRules.assess(
            ChildHistory(childId: child, incidents: facts, maracReferrals: referrals), asOf: asOf, settings: settings)
    }
}

/// Doubles agree to four decimal places.
func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 0.0001 }
