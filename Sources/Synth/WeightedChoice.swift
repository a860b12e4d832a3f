/// A pick among outcomes with integer weights, e.g. children per incident [12, 45, 28, 11, 4].
struct WeightedChoice {
    private let cumulative: [Int]

    init(_ weights: [Int]) {
        var sum = 0
        cumulative = weights.map { sum += $0; return sum }
    }

    func index(using rng: inout Xoshiro256) -> Int {
        let roll = rng.below(cumulative[cumulative.count - 1])
        var i = 0
        while cumulative[i] <= roll { i += 1 }
        return i
    }
}
