/// A fuzzer input read as one control byte and a body delivered in pieces, so a target sees
/// the same bytes arrive the way a socket may split them.
///
/// The control byte's low two bits pick the largest piece: 0 delivers the body at once,
/// 1 byte by byte, 2 in pieces of up to 16 bytes and 3 in pieces of up to 2,048 bytes (larger
/// than a handshake packet). Piece lengths come from a generator seeded with the control byte,
/// so an input always splits the same way. The other six bits are the target's to use.
public struct FuzzInput {
    /// The first input byte; 0 for an empty input.
    public let control: UInt8
    /// The input after the control byte.
    public let body: UnsafeBufferPointer<UInt8>

    /// Reads libFuzzer's `(data, size)` pair.
    /// - Parameters:
    ///   - data: The input bytes; `nil` only when `size` is 0.
    ///   - size: The number of input bytes.
    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        let input = UnsafeBufferPointer(start: data, count: size)
        self.control = input.first ?? 0
        self.body = UnsafeBufferPointer(rebasing: input.dropFirst())
    }

    /// Whether bit `bit` (0 is the lowest) of the control byte is set.
    public func flag(_ bit: Int) -> Bool {
        control >> bit & 1 == 1
    }

    /// The body cut into consecutive non-empty pieces, as the control byte says.
    public var pieces: [UnsafeBufferPointer<UInt8>] {
        let largest: Int
        switch control & 0b11 {
        case 0: largest = max(body.count, 1)
        case 1: largest = 1
        case 2: largest = 16
        default: largest = 2048
        }
        var generator = SeededGenerator(seed: UInt64(control))
        var pieces: [UnsafeBufferPointer<UInt8>] = []
        var start = 0
        while start < body.count {
            let length = min(Int.random(in: 1...largest, using: &generator), body.count - start)
            pieces.append(UnsafeBufferPointer(rebasing: body[start..<start + length]))
            start += length
        }
        return pieces
    }
}

/// SplitMix64: a small deterministic generator, so a fuzzer input always behaves the same and
/// a crash reproduces.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    /// Creates a generator; the same seed gives the same sequence.
    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
