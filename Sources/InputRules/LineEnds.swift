/// The one rule for where a line ends, in a JSON Lines file (incidents and episodes alike) and in
/// an error's place in a JSON file (`JSONPosition`): at LF, CRLF or a lone CR (an old Mac export),
/// as the CSV readers end theirs. A raw CR cannot be inside a JSON string (it must be escaped
/// there), so a CR is always a line's end.
public enum LineEnds {
    /// The line that starts at `start`: where it ends (its line break not included), where the next
    /// starts, and whether it has a byte of 0x80 or more. Inlinable: ingest asks for every line.
    @inlinable @inline(__always)
    public static func line(in b: UnsafeBufferPointer<UInt8>, from start: Int) -> (end: Int, next: Int, nonASCII: Bool) {
        var end = start
        var nonASCII = false
        let n = b.count
        while end < n, b[end] != 0x0A, b[end] != 0x0D {
            if b[end] >= 0x80 { nonASCII = true }
            end += 1
        }
        var next = end + 1
        if end < n, b[end] == 0x0D, next < n, b[next] == 0x0A { next += 1 }
        return (end, next, nonASCII)
    }
}
