import InputRules

/// Reads JSON Lines incidents: one object a line, keys named as the CSV columns, children nested as
/// `"children": [{...}]` (or, with no `children` key, the child columns at the top level as in CSV).
/// Strings are the values; a number stands for its own text; true/false fill the Y/N columns;
/// null is empty. Blank lines are skipped.
enum JSONLinesIncidentReader {
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, into intake: inout RowIntake) {
        let n = bytes.count
        let bom = n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        var p = bom ? 3 : 0
        var line = 0
        var scratch: [UInt8] = []
        var misnamed = MisnamedColumns(known: Column.names + ["children"])
        while p < n {
            intake.reached(p)
            line += 1
            let (end, next, nonASCII) = LineEnds.line(in: bytes, from: p)
            let text = UnsafeBufferPointer(rebasing: bytes[p..<end])
            p = next
            guard text.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            intake.recordCount += 1
            if nonASCII, !text.isValidUTF8 {
                intake.log.add(line: line, column: "-", "the line is not valid UTF-8")
                continue
            }
            readObject(text, line: line, scratch: &scratch, misnamed: &misnamed, into: &intake)
        }
        // An empty export is a broken export: a pipeline must not record it as a success.
        if intake.recordCount == 0 {
            intake.log.add(line: 1, column: "-", "no incidents: the file has no lines")
        }
    }

    private static func readObject(
        _ text: UnsafeBufferPointer<UInt8>, line: Int, scratch: inout [UInt8], misnamed: inout MisnamedColumns,
        into intake: inout RowIntake
    ) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            intake.log.add(line: line, column: "json", "not valid JSON: \(error.message)")
            return
        }
        guard case .object(let members) = value else {
            intake.log.add(line: line, column: "json", "the line is \(value.kindName), not a JSON object")
            return
        }

        var incidentValues = [String](repeating: "", count: Column.count)
        // Columns whose problem is reported here: the rows still go to the column rules, so every
        // other field's problem is reported too (as CSV's are), but these are not again.
        var incidentReported: UInt32 = 0
        var children: [[JSONMember]] = []
        var seen = KeySet()
        // The keys that are no column: ignored as SPEC §2 says, unless they are a column misnamed
        // or hold what only `children` may.
        var unknown: [JSONMember] = []
        for m in members {
            let key = m.key, member = m.value
            if let column = Column(name: key) {
                guard seen.insert(column.rawValue) else {
                    intake.log.add(line: line, column, "appears more than once")
                    incidentReported |= column.bit
                    continue
                }
                if !store(member, column, in: &incidentValues, line: line, log: &intake.log) { incidentReported |= column.bit }
            } else if key == "children" || key.trimmingSpaces().lowercased() == "children" {
                guard seen.insert(KeySet.children) else {
                    intake.log.add(line: line, column: "children", "appears more than once")
                    continue
                }
                children = childObjects(member, line: line, log: &intake.log)
            } else if key == EpisodeReader.idColumn || key.trimmingSpaces().lowercased() == EpisodeReader.idColumn {
                // SPEC §10: a file holds incidents or episodes; an episode here would be dropped unseen.
                intake.log.add(line: line, column: EpisodeReader.idColumn, "an episode in an incidents file: a file holds incidents or episodes, not both")
            } else {
                unknown.append(m)
            }
        }
        if !unknown.isEmpty {
            incidentReported |= refuseMisplaced(unknown, seen: seen, line: line, misnamed: &misnamed, log: &intake.log)
        }
        // A top-level bwv_used may go with nested children: it is about the incident, and each
        // child without its own value takes it.
        let flatChild = Column.childColumns.contains { $0 != .bwvUsed && !incidentValues[$0.rawValue].isEmpty }
        if flatChild, !children.isEmpty {
            intake.log.add(line: line, column: "children",
                           "child columns are given both at the top level and inside children")
        }

        var rows: [(values: [String], reported: UInt32)] = []
        if children.isEmpty {
            rows.append((incidentValues, incidentReported))
        }
        for (index, child) in children.enumerated() {
            var values = incidentValues
            var reported = incidentReported
            var childSeen = KeySet()
            for m in child {
                let key = m.key, member = m.value
                // An object inside `children` is a child: a key that is not a child column (`id`,
                // `dob`, an incident column) is refused, not ignored, or a child sent under keys we
                // do not read became an incident with no child, no alert and nothing unmatched.
                guard let column = Column(name: key), column.isChildColumn else {
                    let meant = LikelyTypo.meant(key, among: Column.childColumns.map(\.name)).map { " (did you mean \($0)?)" } ?? ""
                    intake.log.add(line: line, column: "children",
                                   "child \(index + 1): \"\(FieldValues.shortened(key))\" is not a child column" + meant)
                    continue
                }
                guard childSeen.insert(column.rawValue) else {
                    intake.log.add(line: line, column, "appears more than once in a child")
                    reported |= column.bit
                    continue
                }
                if !store(member, column, in: &values, line: line, log: &intake.log) { reported |= column.bit }
            }
            if reported & Column.childId.bit == 0, FieldText.isBlank(values[Column.childId.rawValue]) {
                intake.log.add(line: line, Column.childId, "is required in each child of children")
                reported |= Column.childId.bit
            }
            rows.append((values, reported))
        }

        var refs = [FieldRef](repeating: .absent, count: Column.count)
        for (values, reported) in rows {
            scratch.removeAll(keepingCapacity: true)
            for (i, value) in values.enumerated() {
                let start = scratch.count
                scratch.append(contentsOf: value.utf8)
                refs[i] = FieldRef(start: start, count: scratch.count - start, inScratch: true)
            }
            scratch.withUnsafeBufferPointer { scratchBytes in
                let row = RawRow(file: UnsafeBufferPointer(start: nil, count: 0), scratch: scratchBytes, refs: refs)
                intake.take(row, line: line, reported: reported)
            }
        }
    }

    /// The header's rule (`MisnamedColumns`) for one object: each known key it lacks with an unknown
    /// key a letter or two from it (`childen`, `supervisorGrade`) is refused naming both, since read
    /// as absent the children were dropped, or the supervisor's grade, unseen. And an unknown key
    /// whose value may hold children (`mayHoldChildren`: `kids`, `child`, `child_list`, which no
    /// typo rule reaches) is refused: they were dropped just the same. Returns the columns
    /// reported, so the column rules do not report them again as missing.
    private static func refuseMisplaced(
        _ unknown: [JSONMember], seen: KeySet, line: Int, misnamed: inout MisnamedColumns,
        log: inout FileErrorLog
    ) -> UInt32 {
        var reported: UInt32 = 0
        let hints = misnamed.hints(unknown: unknown.map(\.key), in: "the line") { !seen.contains($0) }
        for index in misnamed.known.indices {
            guard let hint = hints[index]?.hint else { continue }
            log.add(line: line, column: misnamed.known[index], "is missing from the line" + hint)
            if let column = Column(rawValue: index) { reported |= column.bit }
        }
        for m in unknown where mayHoldChildren(m.value) {
            // A key named above as a typo (`childen`) is not said again.
            guard !hints.values.contains(where: { $0.name == m.key }) else { continue }
            log.add(line: line, column: FieldValues.shortened(m.key),
                     "may hold children, and only children is read: a child under any other key would be dropped unread")
        }
        return reported
    }

    /// Whether a value under a key we do not read has the shape of children: a list of objects (as
    /// `children` is), or an object with a child column among its keys (one child), at any depth.
    /// Anything else, an object of a force's own notes included, is a column not in SPEC §2's table,
    /// and ignored.
    private static func mayHoldChildren(_ value: JSONValue) -> Bool {
        switch value {
        case .array(let elements):
            return elements.contains { if case .object = $0 { true } else { mayHoldChildren($0) } }
        case .object(let members):
            return members.contains { Column(name: $0.key)?.isChildColumn == true || mayHoldChildren($0.value) }
        default:
            return false
        }
    }

    private static func childObjects(
        _ value: JSONValue, line: Int, log: inout FileErrorLog
    ) -> [[JSONMember]] {
        switch value {
        case .null:
            return []
        case .array(let elements):
            var objects: [[JSONMember]] = []
            for element in elements {
                guard case .object(let members) = element else {
                    log.add(line: line, column: "children", "each child must be a JSON object, not \(element.kindName)")
                    continue
                }
                objects.append(members)
            }
            return objects
        default:
            log.add(line: line, column: "children", "must be an array of child objects, not \(value.kindName)")
            return []
        }
    }

    /// False when the value is not one a column takes (reported here).
    private static func store(
        _ value: JSONValue, _ column: Column, in values: inout [String], line: Int, log: inout FileErrorLog
    ) -> Bool {
        switch value {
        case .string(let text), .number(let text):
            values[column.rawValue] = text
        case .null:
            values[column.rawValue] = ""
        case .bool(let flag) where column.isYesNo:
            values[column.rawValue] = flag ? "Y" : "N"
        case .bool, .array, .object:
            log.add(line: line, column, "must be text, not \(value.kindName)")
            return false
        }
        return true
    }
}

/// The known keys already met in one JSON object: the columns, and `children`.
private struct KeySet {
    static let children = Column.count
    private var bits: UInt64 = 0

    func contains(_ key: Int) -> Bool { bits & (1 << UInt64(key)) != 0 }

    /// False if the key was already there.
    mutating func insert(_ key: Int) -> Bool {
        let bit: UInt64 = 1 << UInt64(key)
        defer { bits |= bit }
        return bits & bit == 0
    }
}
