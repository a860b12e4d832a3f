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

    mutating func take(_ row: RawRow, line: Int) {
        // The batch will be read again whole, errors and all.
        if assembler.reopened { return }
        // A record with errors is assembled too, so its disagreements with the incident's other
        // rows are reported in this run; the batch fails on its errors all the same.
        guard let valid = validator.validate(row, line: line, log: &log) else { return }
        assembler.add(valid, origin: RowOrigin(file: fileIndex, line: line), fileNames: fileNames, log: &log)
    }
}
