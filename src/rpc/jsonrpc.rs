//! JSON-RPC 2.0 as aria2 speaks it: one call or a batch, each answered with its
//! result or an error object; a malformed call gets the standard error codes,
//! aria2's own failures code 1.

use serde_json::{Value, json};

/// The most calls one batch may hold.
pub(super) const MAX_BATCH: usize = 1000;

/// An error as JSON-RPC carries it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RpcError {
    pub(super) code: i64,
    pub(super) message: String,
}

impl RpcError {
    /// A failure of the method itself (aria2 answers these with code 1).
    pub(super) fn aria2(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }

    pub(super) fn parse(message: impl Into<String>) -> Self {
        Self {
            code: -32700,
            message: message.into(),
        }
    }

    pub(super) fn invalid_request(message: impl Into<String>) -> Self {
        Self {
            code: -32600,
            message: message.into(),
        }
    }

    pub(super) fn no_method(name: &str) -> Self {
        Self {
            code: -32601,
            message: format!("Method not found: {name}"),
        }
    }

    pub(super) fn invalid_params(message: impl Into<String>) -> Self {
        Self {
            code: -32602,
            message: message.into(),
        }
    }

    pub(super) fn to_value(&self) -> Value {
        json!({ "code": self.code, "message": self.message })
    }
}

/// One call, checked for shape.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub(super) id: Value,
    pub(super) method: String,
    pub(super) params: Vec<Value>,
}

/// What a request body holds.
#[derive(Debug)]
pub(super) enum Incoming {
    One(Result<Call, (Value, RpcError)>),
    Batch(Vec<Result<Call, (Value, RpcError)>>),
    /// Not even JSON, or an empty batch: one error answer.
    Broken(RpcError),
}

pub(super) fn parse(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => return Incoming::Broken(RpcError::parse(format!("Parse error: {e}"))),
    };
    match value {
        Value::Array(calls) if calls.is_empty() => {
            Incoming::Broken(RpcError::invalid_request("an empty batch"))
        }
        Value::Array(calls) if calls.len() > MAX_BATCH => Incoming::Broken(
            RpcError::invalid_request(format!("a batch holds at most {MAX_BATCH} calls")),
        ),
        Value::Array(calls) => Incoming::Batch(calls.into_iter().map(call).collect()),
        one => Incoming::One(call(one)),
    }
}

/// Check one call's shape (its id is kept for the answer even when the rest
/// is wrong).
pub(super) fn call(value: Value) -> Result<Call, (Value, RpcError)> {
    let Value::Object(mut object) = value else {
        return Err((
            Value::Null,
            RpcError::invalid_request("a call is an object"),
        ));
    };
    let id = object.remove("id").unwrap_or(Value::Null);
    if object
        .get("jsonrpc")
        .is_some_and(|v| v.as_str() != Some("2.0"))
    {
        return Err((id, RpcError::invalid_request("jsonrpc must be \"2.0\"")));
    }
    let Some(Value::String(method)) = object.remove("method") else {
        return Err((id, RpcError::invalid_request("method must be a string")));
    };
    let params = match object.remove("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(params)) => params,
        Some(_) => {
            return Err((id, RpcError::invalid_params("params must be an array")));
        }
    };
    Ok(Call { id, method, params })
}

pub(super) fn answer(id: Value, result: Result<Value, RpcError>) -> Value {
    let mut answer = serde_json::Map::new();
    answer.insert("id".into(), id);
    answer.insert("jsonrpc".into(), "2.0".into());
    match result {
        Ok(result) => answer.insert("result".into(), result),
        Err(error) => answer.insert("error".into(), error.to_value()),
    };
    Value::Object(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_bodies_get_the_standard_codes() {
        let broken = |body: &str| match parse(body.as_bytes()) {
            Incoming::Broken(e) => e.code,
            other => panic!("{other:?}"),
        };
        assert_eq!(broken("{nope"), -32700);
        assert_eq!(broken("[]"), -32600);
        let huge = format!("[{}]", vec!["{}"; MAX_BATCH + 1].join(","));
        assert_eq!(broken(&huge), -32600);
        let Incoming::One(Err((id, e))) = parse(br#"{"id":"7","method":3}"#) else {
            panic!()
        };
        assert_eq!((id, e.code), (json!("7"), -32600));
        let Incoming::One(Err((_, e))) = parse(br#"{"id":1,"method":"m","params":{}}"#) else {
            panic!()
        };
        assert_eq!(e.code, -32602);
        let Incoming::Batch(calls) =
            parse(br#"[{"jsonrpc":"2.0","id":1,"method":"a","params":["x"]}, 5]"#)
        else {
            panic!()
        };
        assert_eq!(calls[0].as_ref().unwrap().method, "a");
        assert!(calls[1].is_err());
    }
}
