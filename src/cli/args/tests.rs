use super::*;

#[test]
fn rates_read_like_curl_and_aria2() {
    assert_eq!(parse_rate("5M"), Ok(Rate(Some(5 * 1024 * 1024))));
    assert_eq!(parse_rate("500k"), Ok(Rate(Some(500 * 1024))));
    assert_eq!(parse_rate("1.5MiB/s"), Ok(Rate(Some(1_572_864))));
    assert_eq!(parse_rate("2000000"), Ok(Rate(Some(2_000_000))));
    assert_eq!(parse_rate("off"), Ok(Rate(None)));
    assert_eq!(parse_rate("0"), Ok(Rate(None)));
    assert!(parse_rate("fast").is_err());
    assert!(parse_rate("5X").is_err());
    assert!(parse_rate("0.1").is_err());
}
