@_exported import DelimitedText
import InputRules

/// One problem in an incident file: the shared `FILE:LINE: column: message` form.
public typealias IngestError = InputError

/// Every error of a batch, in file order (as added) then line order.
public struct IngestFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public let errors: [IngestError]

    public init(errors: [IngestError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

extension IngestFailure: KindedError {
    public var failureKind: FailureKind { .data }
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
