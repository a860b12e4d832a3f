/// One problem in an input file, printed as `FILE:LINE: column: message`.
/// Messages never carry personal data: at most ids and enumerated values.
public struct IngestError: Error, Sendable, Hashable, CustomStringConvertible {
    public let file: String
    /// The physical line where the record starts (1 is a CSV header).
    public let line: Int
    /// A column name, or `-` for the record as a whole, or `json` for a line that is not a JSON object.
    public let column: String
    public let message: String

    public init(file: String, line: Int, column: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line): \(column): \(message)" }
}

/// Every error of a batch, in file order (as added) then line order.
public struct IngestFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public let errors: [IngestError]

    public init(errors: [IngestError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// The errors of one file, capped so a wholly wrong file cannot flood memory or the terminal.
struct FileErrorLog {
    static let defaultCap = 1000

    let file: String
    let cap: Int
    private(set) var errors: [IngestError] = []
    private var dropped = 0
    private var firstDroppedLine = 0

    init(file: String, cap: Int = FileErrorLog.defaultCap) {
        self.file = file
        self.cap = cap
    }

    var total: Int { errors.count + dropped }

    /// The message is only built if it will be kept: a wholly wrong file has a million of them.
    mutating func add(line: Int, column: @autoclosure () -> String, _ message: @autoclosure () -> String) {
        guard errors.count < cap else {
            if dropped == 0 { firstDroppedLine = line }
            dropped += 1
            return
        }
        errors.append(IngestError(file: file, line: line, column: column(), message: message()))
    }

    mutating func add(line: Int, _ column: Column, _ message: @autoclosure () -> String) {
        add(line: line, column: column.name, message())
    }

    /// The stored errors, plus one line saying how many more there were.
    func finished() -> [IngestError] {
        guard dropped > 0 else { return errors }
        let noun = dropped == 1 ? "error" : "errors"
        return errors + [IngestError(
            file: file, line: firstDroppedLine, column: "-",
            message: "\(dropped) more \(noun) not shown (only the first \(cap) are listed)")]
    }
}
