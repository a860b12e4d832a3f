import RiskModel

/// Where a reader hands each record of one file: validation, then assembly into incidents.
struct RowIntake {
    let validator: RowValidator
    let fileIndex: Int
    let fileNames: [String]
    var assembler: IncidentAssembler
    var log: FileErrorLog
    /// CSV data rows or JSON Lines objects read, valid or not.
    var recordCount = 0
    /// Told, every few MiB, how far into the file the reader has come: it never reads the bytes
    /// before that again (a mapped file gives their pages back). Nil: nobody asks.
    var passed: ((Int) -> Void)?
    /// Where `passed` was last told the reader was.
    var lastPassed = 0
    /// How far the reader goes between two calls of `passed`.
    var passStep = 1 << 24

    /// The reader is at `offset` of the file, every byte before it read for good.
    @inline(__always)
    mutating func reached(_ offset: Int) {
        guard offset - lastPassed >= passStep, let passed else { return }
        lastPassed = offset
        passed(offset)
    }

    /// `reported`: the columns whose problem the reader has already reported (`RowValidator.validate`).
    mutating func take(_ row: RawRow, line: Int, reported: UInt32 = 0) {
        // The batch will be read again whole, errors and all.
        if assembler.reopened { return }
        // A record with errors is assembled too, so its disagreements with the incident's other
        // rows are reported in this run; the batch fails on its errors all the same.
        guard let valid = validator.validate(row, line: line, reported: reported, log: &log) else { return }
        assembler.add(valid, origin: RowOrigin(file: fileIndex, line: line), fileNames: fileNames, log: &log)
    }
}
