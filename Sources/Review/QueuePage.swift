import Foundation
import RiskModel

/// Where a page of the review queue starts. Pages go on from a child's place in the queue's own
/// order (`RiskRules.QueueKey`), not from a count of rows: the list changes between two loads (a
/// decision takes a child out of "No decision yet", an ingest adds one), and a count then skipped
/// the children that moved up behind the reader, or showed a child again (audit 20, F2).
public enum QueuePlace: Sendable, Equatable {
    /// The top of the list.
    case start
    /// The children after this place: the next page.
    case after(RiskRules.QueueKey)
    /// The page that ends just before this place, or the first page when fewer come before it: the
    /// previous page.
    case before(RiskRules.QueueKey)
    /// From the child at this position (0-based) in the list as it is now: an old `?page=N` link,
    /// read once; the links from that page go on by place.
    case position(Int)
}

/// One page of a list of the queue's entries (the queue, or some of it, in the queue's order).
public struct QueuePage {
    /// The entries shown, as positions in the list (0-based).
    public let range: Range<Int>
    /// How many the list holds.
    public let count: Int

    public var hasPrevious: Bool { range.lowerBound > 0 }
    public var hasNext: Bool { range.upperBound < count }

    /// `list` must be in the queue's order (`ReviewQueue.entries`, or a filter of them).
    public init<List: RandomAccessCollection>(_ list: List, at place: QueuePlace, size: Int) where List.Element == ReviewQueue.Entry {
        let size = max(1, size)
        count = list.count
        // Where the first entry `comesAfter` says yes to is: the list is sorted, so it is found by halving.
        func firstPosition(where comesAfter: (RiskRules.QueueKey) -> Bool) -> Int {
            var (low, high) = (0, list.count)
            while low < high {
                let middle = (low + high) / 2
                if comesAfter(RiskRules.QueueKey(list[list.index(list.startIndex, offsetBy: middle)].assessment)) {
                    high = middle
                } else {
                    low = middle + 1
                }
            }
            return low
        }
        let start: Int
        switch place {
        case .start:
            start = 0
        case .after(let key):
            start = firstPosition { key.precedes($0) }
        case .before(let key):
            start = max(0, firstPosition { !$0.precedes(key) } - size)
        case .position(let n):
            // Past the end: the last page, as the page numbers did.
            start = min(max(0, n), max(0, count - 1) / size * size)
        }
        range = start..<min(count, start + size)
    }
}

extension RiskRules.QueueKey {
    /// The place as a page link writes it: `high_817027200.0_C-1`. The instant is the seconds since
    /// 2001 that a `Date` holds, as Swift writes a number so that it reads back exactly: the time
    /// read back is the very same, so the child named is never taken for one beside it (seconds
    /// since 1970 are a sum, which can round). The child id comes last and may hold anything.
    public var cursor: String { "\(level.name)_\(newest.timeIntervalSinceReferenceDate)_\(childId)" }

    /// Nil for anything `cursor` does not write.
    public init?(cursor: some StringProtocol) {
        let parts = cursor.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let level = Level(name: String(parts[0])), level.name == parts[0],
              let seconds = Double(String(parts[1])), seconds.isFinite, !parts[2].isEmpty else { return nil }
        self.init(level: level, newest: Date(timeIntervalSinceReferenceDate: seconds), childId: String(parts[2]))
    }
}
