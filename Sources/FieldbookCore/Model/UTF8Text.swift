/// Bytes from outside (a roster file, a passphrase file) read as UTF-8 text only when they are.
public enum UTF8Text {
    /// The bytes as text, or nil when they are not UTF-8.
    public static func validated(_ bytes: [UInt8]) -> String? {
        if #available(macOS 15, *) { return String(validating: bytes, as: UTF8.self) }
        return firstInvalidByte(bytes) == nil ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// The byte offset of the first byte that is not valid UTF-8, if any.
    public static func firstInvalidByte(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
