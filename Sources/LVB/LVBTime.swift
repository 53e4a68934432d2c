/// A fixed offset from UTC in which the API reads and writes date-times
/// (spec §6: China Standard Time, UTC+8, by default).
public struct LVBTimeZone: Sendable, Hashable, CustomStringConvertible {
    public var secondsFromUTC: Int

    public init(secondsFromUTC: Int) {
        self.secondsFromUTC = secondsFromUTC
    }

    /// UTC+8, the original service's zone.
    public static let chinaStandardTime = LVBTimeZone(secondsFromUTC: 8 * 3600)
    public static let utc = LVBTimeZone(secondsFromUTC: 0)

    /// Parses `+08:00`, `+0800`, `+08`, `-05:30`, `Z` or `UTC`.
    public init?(parsing text: String) {
        if text == "Z" || text.uppercased() == "UTC" {
            self = .utc
            return
        }
        guard let sign = text.first, sign == "+" || sign == "-" else { return nil }
        let digits = text.dropFirst().filter { $0 != ":" }
        guard digits.count == 2 || digits.count == 4, digits.allSatisfy(\.isASCII),
            let hours = Int(digits.prefix(2)), let minutes = Int(digits.count == 4 ? String(digits.suffix(2)) : "0"),
            hours <= 14, minutes < 60
        else { return nil }
        self.secondsFromUTC = (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    /// `+08:00` style.
    public var description: String {
        let magnitude = abs(secondsFromUTC)
        let hours = magnitude / 3600
        let minutes = magnitude % 3600 / 60
        return (secondsFromUTC < 0 ? "-" : "+") + LVBTime.pad(hours, 2) + ":" + LVBTime.pad(minutes, 2)
    }
}

/// Date-times as the API writes them: `YYYY-MM-DD HH:MM:SS` in the API time zone (spec §6).
public enum LVBTime {
    /// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS` in `zone`.
    public static func format(_ unixSeconds: Int64, in zone: LVBTimeZone) -> String {
        let local = unixSeconds + Int64(zone.secondsFromUTC)
        let days = floorDivide(local, 86_400)
        let secondOfDay = Int(local - days * 86_400)
        let (year, month, day) = civilDate(fromDays: days)
        return pad(Int(year), 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + " "
            + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay % 3600 / 60, 2) + ":" + pad(secondOfDay % 60, 2)
    }

    /// Parses `YYYY-MM-DD HH:MM:SS` in `zone`, or ISO-8601 (`YYYY-MM-DDTHH:MM:SS`, optional
    /// fraction, optional `Z` or `±HH:MM`, which then overrides `zone`).
    /// - Returns: Unix seconds (a fraction is truncated), or `nil` when the text is not a valid date-time.
    public static func parse(_ text: String, in zone: LVBTimeZone) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
            let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2),
            (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var rest = bytes[19...]
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            let fraction = rest.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            guard !fraction.isEmpty else { return nil }
            rest = rest.dropFirst(fraction.count)
        }
        var offset = zone.secondsFromUTC
        if !rest.isEmpty {
            guard bytes[10] == UInt8(ascii: "T") || rest.first != UInt8(ascii: " "),
                let explicit = LVBTimeZone(parsing: String(decoding: rest, as: UTF8.self))
            else { return nil }
            offset = explicit.secondsFromUTC
        }
        let days = daysFromCivil(year: Int64(year), month: month, day: day)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for byte in bytes[start..<start + count] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : (a - b + 1) / b
    }

    private static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (era-based civil calendar arithmetic).
    private static func daysFromCivil(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of ``daysFromCivil(year:month:day:)``.
    private static func civilDate(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
