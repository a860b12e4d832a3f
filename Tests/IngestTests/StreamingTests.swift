import Foundation
import Ingest
import RiskModel
import Testing

/// A builder with a sink hands incidents over while the file is read; what it hands over must be
/// exactly what `finish()` gives, or it must say to write the whole batch instead.
@Suite("Handing incidents over while reading")
struct StreamingTests {
    /// `count` incidents of two rows each (two children), in order.
    static func rows(_ count: Int) -> [[String: String]] {
        (0..<count).flatMap { i in
            ["C-\(i)-A", "C-\(i)-B"].map { ["incident_id": String(format: "I-%05d", i), "child_id": $0] }
        }
    }

    final class Collected {
        var chunks: [[Incident]] = []
        var all: [Incident] { chunks.flatMap { $0 } }
    }

    static func stream(_ text: String) -> (Result<IncidentBatchBuilder.Streamed, IngestFailure>, Collected) {
        let collected = Collected()
        var builder = IncidentBatchBuilder(now: Fixture.now, sink: { collected.chunks.append($0) })
        builder.add(Array(text.utf8), fileName: "in.csv", format: .csv)
        return (builder.finishStreaming(), collected)
    }

    /// What `text` handed over, each incident as the whole batch has it; nil (an issue recorded) if
    /// it asked for the whole batch instead.
    static func handedOverWhole(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Collected? {
        let (result, collected) = stream(text)
        guard case .success(.handedOver) = result else {
            Issue.record("expected every incident handed over, got \(result)", sourceLocation: sourceLocation)
            return nil
        }
        #expect(collected.all.sorted { $0.id < $1.id } == Fixture.incidents(Fixture.ingest(text)), sourceLocation: sourceLocation)
        return collected
    }

    @Test func everyIncidentIsHandedOverOnceAndWhole() throws {
        let collected = Self.handedOverWhole(Fixture.csv(Self.rows(2_200)))
        #expect(collected?.chunks.count ?? 0 > 1, "handed over in chunks, not all at the end")
    }

    @Test func rowsOfOneIncidentFarApartAskForTheWholeBatch() throws {
        // I-00000's second child comes after 1,100 other incidents.
        var rows = Self.rows(1_100)
        rows.append(["incident_id": "I-00000", "child_id": "C-LATE"])
        let text = Fixture.csv(rows)
        let (result, collected) = Self.stream(text)
        guard case .success(.redo) = result else {
            Issue.record("expected a redo, got \(result)")
            return
        }
        #expect(collected.all.count == 1_025, "reading stopped at the late row; only the first chunk went")
        // Assembled again without a sink, the late child joins its incident.
        let batch = Fixture.incidents(Fixture.ingest(text))
        #expect(batch.first?.children.map(\.childId) == ["C-0-A", "C-0-B", "C-LATE"])
    }

    @Test func rowsOfOneIncidentApartBeforeItIsHandedOverAreStillOneIncident() throws {
        // Each incident's second row comes after the next incident's first: apart, but the
        // incident is still open (not handed over), so it is found by its id's hash and kept whole.
        var rows: [[String: String]] = []
        for i in 0..<600 {
            rows.append(["incident_id": String(format: "I-%05d", i), "child_id": "C-\(i)-A"])
            if i > 0 { rows.append(["incident_id": String(format: "I-%05d", i - 1), "child_id": "C-\(i - 1)-B"]) }
        }
        rows.append(["incident_id": "I-00599", "child_id": "C-599-B"])
        let collected = Self.handedOverWhole(Fixture.csv(rows))
        #expect(collected?.all.count == 600)
        #expect(collected?.all.allSatisfy { $0.children.count == 2 } == true)
    }

    @Test func rowsFarApartAndAnInvalidRowGiveARedoThatFindsEveryError() throws {
        // An invalid row, then a late row that disagrees with its incident's first row: the
        // streaming pass has an error and stops at the late row; it asks for the whole batch (not
        // its partial errors), and the whole-batch pass reports both.
        var rows = Self.rows(1_100)
        rows.append(["incident_id": "I-BAD", "officer_grade": "severe"])
        rows.append(["incident_id": "I-00000", "child_id": "C-LATE", "victim_id": "V-OTHER"])
        let text = Fixture.csv(rows)
        let (result, _) = Self.stream(text)
        guard case .success(.redo) = result else {
            Issue.record("expected a redo, got \(result)")
            return
        }
        guard case .failure(let failure) = Fixture.ingest(text) else {
            Issue.record("expected the whole batch to fail")
            return
        }
        #expect(failure.errors.map(\.description) == [
            "in.csv:2202: officer_grade: unknown grade (expected standard, medium or high)",
            "in.csv:2203: victim_id: disagrees with line 2 of in.csv for incident I-00000",
        ])
    }

    @Test func anInvalidRowAfterManyValidOnesFailsTheBatch() {
        var rows = Self.rows(1_100)
        rows.append(["incident_id": "I-BAD", "officer_grade": "severe"])
        let (result, collected) = Self.stream(Fixture.csv(rows))
        #expect(!collected.chunks.isEmpty, "valid incidents were handed over before the bad row was read")
        guard case .failure(let failure) = result else {
            Issue.record("expected the batch to fail")
            return
        }
        #expect(failure.errors.map(\.description) == ["in.csv:2202: officer_grade: unknown grade (expected standard, medium or high)"])
    }
}
