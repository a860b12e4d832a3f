import InputRules

/// Reads an RFC 4180 incident file: a header row naming the columns in any order, then one row
/// per incident and child. Unknown columns are ignored, but must still be valid UTF-8.
enum CSVIncidentReader {
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, into intake: inout RowIntake) {
        var scanner = CSVScanner(bytes)
        var fields: [CSVField] = []
        fields.reserveCapacity(64)
        var scratch: [UInt8] = []

        switch scanner.next(into: &fields) {
        case .end:
            intake.log.add(line: 1, column: "-", "no incidents: the file is empty")
            return
        case .malformed(let line, _, let message):
            intake.log.add(line: line, column: "-", "header: \(message)")
            return
        case .record:
            break
        }
        guard let header = CSVHeader(fields: fields, bytes: bytes, log: &intake.log) else { return }

        var refs = [FieldRef](repeating: .absent, count: Column.count)
        var reserved = false
        while true {
            let line: Int
            switch scanner.next(into: &fields) {
            case .end:
                // An empty export is a broken export: a pipeline must not record it as a success.
                if intake.recordCount == 0 {
                    intake.log.add(line: 1, column: "-", "no incidents: the file has a header row and no rows")
                }
                return
            case .malformed(let at, let fieldIndex, let message):
                intake.recordCount += 1
                intake.log.add(line: at, column: header.displayName(ofField: fieldIndex), message)
                continue
            case .record(let at):
                line = at
            }
            // Nothing before this record is looked at again (the header's names are copied).
            if let first = fields.first { intake.reached(first.start) }
            if fields.isBlankRecord { continue }
            intake.recordCount += 1
            if !reserved, let last = fields.last {
                // Estimate the rows from the first one's length, so big files do not rehash as they
                // grow; the floor keeps a short first row from reserving far too much.
                reserved = true
                let rowLength = max(64, last.end - fields[0].start)
                intake.assembler.reserveCapacity(additional: bytes.count / rowLength)
            }
            guard fields.count == header.fieldCount else {
                intake.log.add(line: line, column: "-",
                               "the row has \(fields.count) fields but the header has \(header.fieldCount)")
                continue
            }
            if scanner.recordHasNonASCII {
                var validText = true
                for (i, field) in fields.enumerated() where field.nonASCII {
                    if !UnsafeBufferPointer(rebasing: bytes[field.start..<field.end]).isValidUTF8 {
                        intake.log.add(line: line, column: header.displayName(ofField: i), "is not valid UTF-8")
                        validText = false
                    }
                }
                guard validText else { continue }
            }

            scratch.removeAll(keepingCapacity: true)
            for (column, fieldIndex) in header.used {
                let field = fields[fieldIndex]
                if field.hasDoubledQuotes {
                    let start = scratch.count
                    appendUndoubled(bytes, field, to: &scratch)
                    refs[column] = FieldRef(start: start, count: scratch.count - start, inScratch: true)
                } else {
                    refs[column] = FieldRef(start: field.start, count: field.end - field.start, inScratch: false)
                }
            }
            scratch.withUnsafeBufferPointer { scratchBytes in
                intake.take(RawRow(file: bytes, scratch: scratchBytes, refs: refs), line: line)
            }
        }
    }

    static func appendUndoubled(_ bytes: UnsafeBufferPointer<UInt8>, _ field: CSVField, to out: inout [UInt8]) {
        guard field.hasDoubledQuotes else {
            out.append(contentsOf: bytes[field.start..<field.end])
            return
        }
        var p = field.start
        while p < field.end {
            let c = bytes[p]
            out.append(c)
            p += c == 0x22 ? 2 : 1
        }
    }
}

/// The header row: which field holds which known column.
struct CSVHeader {
    let fieldCount: Int
    /// (Column.rawValue, field index) for each known column present.
    let used: [(Int, Int)]
    private let names: [String]

    init?(fields: [CSVField], bytes: UnsafeBufferPointer<UInt8>, log: inout FileErrorLog) {
        let errorsBefore = log.total
        var names: [String] = []
        var unknown: [String] = []
        var fieldOf = [Int](repeating: -1, count: Column.count)
        for (i, field) in fields.enumerated() {
            var raw: [UInt8] = []
            CSVIncidentReader.appendUndoubled(bytes, field, to: &raw)
            let name = raw.withUnsafeBufferPointer { b -> String? in
                b.isValidUTF8 ? b.trimmingSpaces().text : nil
            }
            guard let name else {
                log.add(line: 1, column: "-", "header field \(i + 1) is not valid UTF-8")
                names.append("column \(i + 1)")
                continue
            }
            names.append(name.isEmpty ? "column \(i + 1)" : FieldValues.shortened(name))
            guard let column = Column(name: name) else {
                unknown.append(name)
                continue
            }
            if fieldOf[column.rawValue] >= 0 {
                log.add(line: 1, column, "appears more than once in the header")
            }
            fieldOf[column.rawValue] = i
        }
        // Every column the header lacks, optional ones too, is compared with the names it has that
        // we do not read (`MisnamedColumns`): read as absent, `ChildID` dropped every child of the
        // file and `Supervisor Grade` the supervisor's regrade, unseen.
        var misnamed = MisnamedColumns(known: Column.names)
        let hints = misnamed.hints(unknown: unknown) { fieldOf[$0] < 0 }
        for column in Column.requiredInHeader where fieldOf[column.rawValue] < 0 {
            log.add(line: 1, column, "required column is missing from the header" + (hints[column.rawValue]?.hint ?? ""))
        }
        for column in Column.allCases where !Column.requiredInHeader.contains(column) {
            if let hint = hints[column.rawValue]?.hint { log.add(line: 1, column, "is missing from the header" + hint) }
        }
        guard log.total == errorsBefore else { return nil }
        self.names = names
        fieldCount = fields.count
        used = fieldOf.enumerated().filter { $0.element >= 0 }.map { ($0.offset, $0.element) }
    }

    func displayName(ofField index: Int) -> String {
        names.indices.contains(index) ? names[index] : "-"
    }
}
