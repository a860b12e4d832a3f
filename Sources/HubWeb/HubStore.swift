import StoreContract

/// What the web application needs of the database: the core store, accounts, a child's record, and
/// the alerts with the unmatched list (`UnmatchedStore` refines `AlertStore`), and the children's plans.
public typealias HubStore = Store & AccountStore & ChildRecordStore & UnmatchedStore & SchoolDirectoryStore & PlanStore & InspectionStore
