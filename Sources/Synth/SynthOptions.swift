import Foundation

/// What to generate: how many CSV data rows, from which seed, over which span, for which schools.
public struct SynthOptions: Sendable {
    /// CSV data rows: a child row or a childless incident row each count one.
    public var rows: Int
    /// The same seed always gives the same bytes.
    public var seed: UInt64
    /// The newest `reported_at`; the CLI passes now minus two hours so nothing is in the future.
    public var end: Date
    /// How many days before `end` the incidents spread over.
    public var days: Int = 730
    /// School URNs to give children; empty gives every child no school.
    public var urns: [String]

    public init(rows: Int, seed: UInt64, end: Date, days: Int = 730, urns: [String]) {
        self.rows = rows
        self.seed = seed
        self.end = end
        self.days = days
        self.urns = urns
    }
}
