/// How an error names a file, and where in it: `FILE:LINE` (`:COLUMN` where the reader counts
/// them), the file's name written through `FieldText.forTerminal`. Feeds arrive under names their
/// senders choose (`encompass ingest /srv/incoming/*.csv`): a line break in one split an error into
/// two lines, the second reading as the program's own, and an escape sequence in one reached the
/// terminal (audit 26, F4). Every error that names a file makes its name here.
public enum FilePosition {
    public static func text(_ file: String, line: Int? = nil, column: Int? = nil) -> String {
        var s = FieldText.forTerminal(file)
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s
    }
}
