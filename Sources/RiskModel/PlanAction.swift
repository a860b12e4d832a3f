import CivilTime
import Foundation
import InputRules

/// One action of a child's protective plan, agreed at MARAC (SPEC §5): what is to be done, by which
/// agency, by when. Actions are appended, never edited; "done" is a row of its own beside the
/// action, so nothing is edited away. Officers attending a later incident read them.
public struct PlanAction: Sendable, Hashable {
    /// The store's number for the action: what `plan add` prints and `plan done` takes.
    public var id: Int64
    public var childId: String
    /// What is to be done, as typed (it may name people: it goes to no log and no audit).
    public var action: String
    /// Who does it: an agency or service, such as "Children's Social Care".
    public var agency: String
    public var due: LocalDate?
    /// Who recorded it, as given (`--by`, or the signed-in user).
    public var recordedBy: String
    public var recordedAt: Date
    /// Set once the action is marked done; never cleared.
    public var done: Done?

    public struct Done: Sendable, Hashable {
        public var on: LocalDate
        /// Who marked it done, as given.
        public var by: String
        public var recordedAt: Date

        public init(on: LocalDate, by: String, recordedAt: Date) {
            self.on = on
            self.by = by
            self.recordedAt = recordedAt
        }
    }

    public init(id: Int64, childId: String, action: String, agency: String, due: LocalDate?, recordedBy: String,
                recordedAt: Date, done: Done? = nil) {
        self.id = id
        self.childId = childId
        self.action = action
        self.agency = agency
        self.due = due
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.done = done
    }
}

/// An action as given, before the store numbers it.
public struct NewPlanAction: Sendable, Hashable {
    public var childId: String
    public var action: String
    public var agency: String
    public var due: LocalDate?
    /// Who recorded it, as given.
    public var by: String
    public var recordedAt: Date
    /// Who wrote it, for the audit's actor: `cli:LOGIN`, `user:NAME` or `api:TOKEN`.
    public var actor: String

    public init(childId: String, action: String, agency: String, due: LocalDate?, by: String, recordedAt: Date, actor: String) {
        self.childId = childId
        self.action = action
        self.agency = agency
        self.due = due
        self.by = by
        self.recordedAt = recordedAt
        self.actor = actor
    }

    public init(_ checked: PlanAction.Checked, childId: String, by: String, recordedAt: Date, actor: String) {
        self.init(childId: childId, action: checked.action, agency: checked.agency, due: checked.due, by: by,
                  recordedAt: recordedAt, actor: actor)
    }
}

extension PlanAction {
    /// The longest action kept: a note read at a meeting or at a door, like a decision's reason.
    public static let maximumActionLength = FieldText.Kind.words.maximumLength
    /// The longest agency name kept (FieldText's limit for a name).
    public static let maximumAgencyLength = FieldText.Kind.name.maximumLength

    /// An action as given, checked: trimmed, with its due date read.
    public struct Checked: Sendable, Hashable {
        public let action: String
        public let agency: String
        public let due: LocalDate?
    }

    /// Why an action or its "done" cannot be recorded. Each caller words these for its own reader,
    /// and none repeats the action's text.
    public enum Problem: Sendable, Hashable {
        case noAction
        case actionTooLong
        case actionHasControlCharacter
        case noAgency
        case agencyTooLong
        /// A control character, or a line break: an agency is one line.
        case agencyHasControlCharacter
        case dueNotADate
        case doneNotADate
        case doneInTheFuture
    }

    public struct Problems: Error, Sendable, Hashable {
        public let list: [Problem]
    }

    /// The one check of a new action, for `plan add`, the child's page and any caller alike: an
    /// action (free text, line breaks allowed, at most `maximumActionLength`, no other control
    /// character: the FieldText rule), an agency (one line, at most `maximumAgencyLength`), and a
    /// due date that is empty or YYYY-MM-DD (any day: a plan may be recorded after its date).
    /// Every problem, in that order.
    public static func check(action: String?, agency: String?, due: String?) -> Result<Checked, Problems> {
        var problems: [Problem] = []
        let what = trimmed(action)
        if let what {
            switch FieldText.problem(what, as: .words) {
            case .controlCharacter?, .formatCharacter?, .lookAlikeLetter?: problems.append(.actionHasControlCharacter)
            case .tooLong?: problems.append(.actionTooLong)
            case nil: break
            }
        } else {
            problems.append(.noAction)
        }
        let who = trimmed(agency)
        if let who {
            switch FieldText.problem(who, as: .name) {
            case .controlCharacter?, .formatCharacter?, .lookAlikeLetter?: problems.append(.agencyHasControlCharacter)
            case .tooLong?: problems.append(.agencyTooLong)
            case nil: break
            }
        } else {
            problems.append(.noAgency)
        }
        var date: LocalDate?
        if let text = trimmed(due) {
            date = LocalDate(entered: text)
            if date == nil { problems.append(.dueNotADate) }
        }
        guard problems.isEmpty, let what, let who else { return .failure(Problems(list: problems)) }
        return .success(Checked(action: what, agency: who, due: date))
    }

    /// The date an action was done: YYYY-MM-DD, not after `today` (the hub's date now).
    public static func checkDone(on: String?, today: LocalDate) -> Result<LocalDate, Problems> {
        guard let text = trimmed(on), let date = LocalDate(entered: text) else { return .failure(Problems(list: [.doneNotADate])) }
        guard date <= today else { return .failure(Problems(list: [.doneInTheFuture])) }
        return .success(date)
    }

    /// Nil when blank (`FieldText.isBlank`: no visible character), else trimmed.
    private static func trimmed(_ text: String?) -> String? {
        guard let t = text?.trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty, !FieldText.isBlank(t) else { return nil }
        return t
    }
}

/// Why a plan action cannot be changed as asked.
public enum PlanError: Error, Equatable, CustomStringConvertible {
    case unknownAction(Int64)
    case alreadyDone(Int64, on: LocalDate)

    public var description: String {
        switch self {
        case .unknownAction(let id): "no plan action with id \(id)"
        case .alreadyDone(let id, let on): "plan action \(id) was already marked done on \(on)"
        }
    }
}

extension PlanError {
    /// The action with id `id` (`action`, nil when there is none) when it may be marked done; else
    /// why not. The one rule: the stores ask it in their transaction, `plan done` before it imports
    /// Config/ (so a refused command writes nothing).
    public static func markable(_ action: PlanAction?, id: Int64) throws(PlanError) -> PlanAction {
        guard let action else { throw .unknownAction(id) }
        if let done = action.done { throw .alreadyDone(id, on: done.on) }
        return action
    }
}

extension PlanError: KindedError {
    public var failureKind: FailureKind { .data }
}
