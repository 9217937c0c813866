//! The healthcheck's answer, the same whether a [`HealthCheck`](crate::HealthCheck)
//! service or the route installed by `#[kamal_healthcheck]` gives it.

use http::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, Method, Response, StatusCode};

const BODY: &str = "OK";

/// Builds the answer to a request for the healthcheck path.
///
/// `GET` gets `200 OK` with the body `OK`; `HEAD` the same headers without a body;
/// any other method `405` with `allow: GET, HEAD`. Nothing of the request but its
/// method is looked at, so nothing of it can be echoed.
pub(crate) fn answer<B: From<&'static str>>(method: &Method) -> Response<B> {
    let healthy = |body: &'static str| {
        let mut response = Response::new(B::from(body));
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // Explicit, so a HEAD answer states the length its GET twin has.
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("2"));
        response
    };
    if *method == Method::GET {
        healthy(BODY)
    } else if *method == Method::HEAD {
        healthy("")
    } else {
        let mut response = Response::new(B::from(""));
        *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: Method) -> (StatusCode, Vec<(String, String)>, String) {
        let response: Response<String> = answer(&method);
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        (response.status(), headers, response.into_body())
    }

    #[test]
    fn get_is_ok_with_a_plain_uncached_body() {
        let (status, headers, body) = parts(Method::GET);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "OK");
        assert_eq!(
            headers,
            [
                ("content-type", "text/plain; charset=utf-8"),
                ("cache-control", "no-store"),
                ("content-length", "2"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn head_has_the_headers_of_get_and_no_body() {
        let (status, headers, body) = parts(Method::HEAD);
        assert_eq!((status, body), (StatusCode::OK, String::new()));
        assert_eq!(headers, parts(Method::GET).1);
    }

    #[test]
    fn other_methods_are_not_allowed() {
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
            let (status, headers, body) = parts(method);
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
            assert_eq!(headers, [("allow".to_owned(), "GET, HEAD".to_owned())]);
            assert_eq!(body, "");
        }
    }
}
