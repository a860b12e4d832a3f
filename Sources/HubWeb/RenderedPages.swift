import Foundation
import NIOCore

/// Queue pages as rendered for one session, kept while the queue they came from and the decisions
/// are unchanged. Rendering a page of the queue costs far more than answering it again, and staff
/// reload the queue often; a page holds the session's CSRF token and name, so it is never shared
/// between sessions.
actor RenderedPages {
    private let capacity: Int
    private var pages: [String: (stamp: String, body: ByteBuffer)] = [:]
    private var order: [String] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The page's bytes, shared rather than copied: a ByteBuffer is copied only when written to.
    func body(for key: String, stamp: String) -> ByteBuffer? {
        guard let page = pages[key], page.stamp == stamp else { return nil }
        return page.body
    }

    func keep(_ body: ByteBuffer, for key: String, stamp: String) {
        if pages.updateValue((stamp, body), forKey: key) == nil {
            order.append(key)
            if order.count > capacity { pages[order.removeFirst()] = nil }
        }
    }
}
