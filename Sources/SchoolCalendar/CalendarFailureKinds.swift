import InputRules

// Each calendar error says its kind (issue 10, item 8): a bad config file is bad input data.

extension TermDatesError: KindedError {
    public var failureKind: FailureKind { .data }
}

extension BankHolidaysError: KindedError {
    public var failureKind: FailureKind { .data }
}

extension TimeOfDayError: KindedError {
    public var failureKind: FailureKind { .data }
}
