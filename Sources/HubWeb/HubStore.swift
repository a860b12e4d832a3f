import Store

/// What the web application needs of the database: the core store, accounts, a child's record, and
/// the alerts with the unmatched list (`UnmatchedStore` refines `AlertStore`).
public typealias HubStore = Store & AccountStore & ChildRecordStore & UnmatchedStore

public struct UnsupportedStore: Error, CustomStringConvertible {
    public var description: String {
        "this database does not support the web application's accounts yet (use sqlite:PATH)"
    }
}

/// The store as the web application needs it; `UnsupportedStore` for one without accounts.
public func hubStore(_ store: any Store) throws -> any HubStore {
    guard let hub = store as? any HubStore else { throw UnsupportedStore() }
    return hub
}
