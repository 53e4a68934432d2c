extension String {
    /// Splits `name?query` at the first `?`; the query is `nil` without one.
    func splitQuery() -> (name: String, query: String?) {
        guard let mark = firstIndex(of: "?") else { return (self, nil) }
        return (String(self[..<mark]), String(self[index(after: mark)...]))
    }
}
