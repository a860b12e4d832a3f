import Foundation
import RiskModel

/// Collects rows from one or more files of one command, then assembles incidents.
/// All or nothing (SPEC §2): `finish()` gives either every incident or every error.
/// It reads no files itself: callers pass each file's bytes and the name to show in errors.
public struct IncidentBatchBuilder {
    private let validator: RowValidator
    private var fileNames: [String] = []
    private var assembler = IncidentAssembler()
    private var errors: [IngestError] = []
    private let errorCapPerFile: Int

    /// How far a reader goes between two calls of an `add`'s `passed` (16 MiB; less in tests).
    var passStep = 1 << 24

    /// CSV data rows and JSON Lines objects read so far, valid or not.
    public private(set) var rowCount = 0

    /// - Parameter now: the clock for "in the future" checks (`reported_at`, `child_dob`).
    public init(now: Date) {
        self.init(now: now, errorCapPerFile: FileErrorLog.defaultCap)
    }

    /// `errorCapPerFile` bounds the errors kept for one file; one more line says how many were left out.
    public init(now: Date, errorCapPerFile: Int) {
        validator = RowValidator(now: now)
        self.errorCapPerFile = max(1, errorCapPerFile)
    }

    /// A builder that hands incidents to `sink` as soon as their rows are read (a chunk at a
    /// time), so they can be written while the rest is read. Nothing handed over counts until
    /// `finishStreaming()` says so.
    public init(now: Date, sink: @escaping ([Incident]) -> Void) {
        self.init(now: now)
        assembler.sink = sink
    }

    public mutating func add(_ bytes: [UInt8], fileName: String, format: IncidentFileFormat) {
        bytes.withUnsafeBufferPointer { add($0, fileName: fileName, format: format) }
    }

    /// `passed`, when given, is told every few MiB how far into `data` the reader has come: it
    /// never looks at the bytes before that again, so the pages of a mapped file may go back.
    public mutating func add(_ data: Data, fileName: String, format: IncidentFileFormat, passed: ((Int) -> Void)? = nil) {
        data.withUnsafeBytes { add($0.bindMemory(to: UInt8.self), fileName: fileName, format: format, passed: passed) }
    }

    public mutating func add(_ bytes: UnsafeBufferPointer<UInt8>, fileName: String, format: IncidentFileFormat,
                             passed: ((Int) -> Void)? = nil) {
        fileNames.append(fileName)
        var intake = RowIntake(
            validator: validator, fileIndex: fileNames.count - 1, fileNames: fileNames,
            assembler: assembler, log: FileErrorLog(file: fileName, cap: errorCapPerFile))
        intake.passed = passed
        intake.passStep = passStep
        // Hand the assembler over rather than share it, so its storage is never copied.
        assembler = IncidentAssembler()
        switch format {
        case .csv: CSVIncidentReader.read(bytes, into: &intake)
        case .jsonLines: JSONLinesIncidentReader.read(bytes, into: &intake)
        }
        assembler = intake.assembler
        rowCount += intake.recordCount
        errors += intake.log.finished()
    }

    /// How a streaming batch ended, when it is valid.
    public enum Streamed {
        /// Every incident has been handed to the sink, once and whole.
        case handedOver
        /// Some incident's rows were not together, so it was handed over before it was whole.
        /// Reading stopped there: build the batch again without a sink (`finish()` then gives
        /// every incident or every error), and write that instead.
        case redo
    }

    /// For a builder with a sink: hands over the last incidents, or gives every error.
    public mutating func finishStreaming() -> Result<Streamed, IngestFailure> {
        if assembler.reopened { return .success(.redo) }
        guard errors.isEmpty else { return .failure(IngestFailure(errors: errors)) }
        assembler.handOverRest()
        return .success(.handedOver)
    }

    /// Either every incident (sorted by id, children by child id), or every error
    /// (files in the order added, then by line).
    public func finish() -> Result<[Incident], IngestFailure> {
        guard errors.isEmpty else { return .failure(IngestFailure(errors: errors)) }
        return .success(assembler.incidents())
    }
}
