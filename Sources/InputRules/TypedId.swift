/// How an error names an id it was given that names nothing: "no child with id C-404". What was
/// typed where an id belongs may be a name (`encompass decide 'Zebedee Quillfeather'` wrote "no
/// child with id Zebedee Quillfeather" to stderr, the journal under a timer: audit 22, people F5),
/// and errors carry ids only. A force's ids are numbered and a name is not, so the value is
/// repeated only when it has an id's shape: a digit in it, no white space, nothing an id may not
/// hold (`FieldText`'s rule for ids, its length included). Otherwise the message says "that id".
public enum TypedId {
    public static func hasIdShape(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value >= 0x30 && $0.value <= 0x39 }
            && !text.unicodeScalars.contains { $0.properties.isWhitespace }
            && FieldText.problem(text, as: .identifier) == nil
    }

    /// `id C-404` for an id's shape, `that id` for anything else; `what` names the kind of id.
    public static func named(_ text: String, as what: String = "id") -> String {
        hasIdShape(text) ? "\(what) \(text)" : "that \(what)"
    }
}
