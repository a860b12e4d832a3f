import InputRules

// Each settings error says its kind (issue 10, item 8).

extension MissingFile: KindedError {
    public var failureKind: FailureKind { .missing }
}

extension SettingsError: KindedError {
    public var failureKind: FailureKind { .data }
}
