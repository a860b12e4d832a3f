@testable import Delivery
import Testing

/// The byte-level rules of the encoder; that a message survives it whole is EmailComposerTests'.
@Suite struct QuotedPrintableTests {
    @Test(arguments: [
        ("a\nb", "a\r\nb"),
        ("a\r\nb\r\n", "a\r\nb\r\n"),
        // A CR that ends no line is a byte of the line, encoded; the one before a LF is its end.
        ("a\rb\r\r\nc", "a=0Db=0D\r\nc"),
        ("end with space \n", "end with space=20\r\n"),
        ("é=", "=C3=A9=3D"),
    ])
    func linesEndInCRLFAndTheRestIsEncoded(text: String, encoded: String) {
        #expect(QuotedPrintable.encode(text) == encoded)
    }
}
