import Prometheus
import Telemetry
import Testing

@Suite struct ReelMetricsTests {
    @Test func everyMetricWithoutDynamicLabelsIsExposedFromTheStartWithItsType() {
        let registry = PrometheusCollectorRegistry()
        _ = ReelMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let text = registry.emitToString()
        let types: [(String, String)] = [
            (ReelMetrics.Name.publishersLive, "gauge"), (ReelMetrics.Name.bytesIn, "counter"),
            (ReelMetrics.Name.tagsWritten, "counter"), (ReelMetrics.Name.fragmentsOpened, "counter"),
            (ReelMetrics.Name.fragmentsClosed, "counter"), (ReelMetrics.Name.fragmentsOpen, "gauge"),
            (ReelMetrics.Name.fragmentCloseDuration, "histogram"), (ReelMetrics.Name.fragmentsRecovered, "counter"),
            (ReelMetrics.Name.callbackDeliveries, "counter"), (ReelMetrics.Name.callbackFailures, "counter"),
        ]
        for (name, type) in types {
            #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name) is not a \(type) in:\n\(text)")
        }
        for reason in ReelMetrics.FragmentCloseReason.allCases {
            #expect(text.contains("reel_fragments_closed_total{reason=\"\(reason.rawValue)\"} 0\n"))
        }
        for kind in ["audio", "video", "script"] {
            #expect(text.contains("reel_tags_written_total{type=\"\(kind)\"} 0\n"))
        }
        // API requests appear once counted.
        #expect(!text.contains(ReelMetrics.Name.apiRequests))
    }

    @Test func apiRequestsAreCountedPerActionAndCode() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ReelMetrics(factory: PrometheusMetricsFactory(registry: registry))
        metrics.apiRequest(action: "CreateRecord", code: 0)
        metrics.apiRequest(action: "CreateRecord", code: 0)
        metrics.apiRequest(action: "CreateRecord", code: 4000)
        metrics.apiRequest(action: "unknown", code: 4000)
        let text = registry.emitToString()
        #expect(text.contains("reel_api_requests_total{action=\"CreateRecord\",code=\"0\"} 2\n"))
        #expect(text.contains("reel_api_requests_total{action=\"CreateRecord\",code=\"4000\"} 1\n"))
        #expect(text.contains("reel_api_requests_total{action=\"unknown\",code=\"4000\"} 1\n"))
    }

    @Test func closeDurationsAreSecondsInTheHistogram() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ReelMetrics(factory: PrometheusMetricsFactory(registry: registry))
        metrics.fragmentCloseDuration.recordDuration(.milliseconds(30))
        metrics.fragmentCloseDuration.recordDuration(.milliseconds(700))
        let text = registry.emitToString()
        #expect(text.contains("reel_fragment_close_duration_seconds_bucket{le=\"0.025\"} 0\n"))
        #expect(text.contains("reel_fragment_close_duration_seconds_bucket{le=\"0.05\"} 1\n"))
        #expect(text.contains("reel_fragment_close_duration_seconds_bucket{le=\"1.0\"} 2\n"))
        #expect(text.contains("reel_fragment_close_duration_seconds_count 2\n"))
        #expect(text.contains("reel_fragment_close_duration_seconds_sum 0.73"))
    }
}
