//! Flux's `postBuild` variable substitution on rendered text: `${var}`, `${var:=default}`,
//! `${var:-default}`, `${var=default}`, `${var-default}` and `$var`; `$$` stands for a `$`.
//! A variable that is not given becomes empty, as in Flux's default (non-strict) mode.

use std::collections::BTreeMap;

/// `text` with its variables replaced, or why it cannot be (an unterminated `${`).
pub fn substitute(text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner
                .find('}')
                .ok_or_else(|| format!("unterminated `${{` near {:?}", snippet(inner)))?;
            out.push_str(&expand(&inner[..end], vars)?);
            rest = &inner[end + 1..];
        } else {
            let len = name_len(after);
            if len == 0 {
                out.push('$');
            } else {
                out.push_str(vars.get(&after[..len]).map_or("", String::as_str));
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn name_len(s: &str) -> usize {
    let mut n = 0;
    for (i, c) in s.char_indices() {
        let ok = c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit());
        if !ok {
            break;
        }
        n = i + c.len_utf8();
    }
    n
}

/// One `${…}` body.
fn expand(body: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let len = name_len(body);
    if len == 0 {
        return Err(format!("`${{{}}}` names no variable", snippet(body)));
    }
    let (name, op) = body.split_at(len);
    let value = vars.get(name);
    let out = match op {
        "" => value.cloned().unwrap_or_default(),
        // `:=` and `:-` also replace an empty value; `=` and `-` only a missing one
        _ if op.starts_with(":=") || op.starts_with(":-") => match value {
            Some(v) if !v.is_empty() => v.clone(),
            _ => op[2..].to_string(),
        },
        _ if op.starts_with('=') || op.starts_with('-') => {
            value.cloned().unwrap_or_else(|| op[1..].to_string())
        }
        _ => {
            return Err(format!(
                "`${{{}}}`: only defaults (`:=`, `:-`) are substituted",
                snippet(body)
            ));
        }
    };
    Ok(out)
}

fn snippet(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        [("cluster", "prod"), ("replicas", "3"), ("empty", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn variables_defaults_and_escapes() {
        let v = vars();
        assert_eq!(substitute("env: ${cluster}", &v).unwrap(), "env: prod");
        assert_eq!(substitute("n: ${replicas:=1}", &v).unwrap(), "n: 3");
        assert_eq!(substitute("n: ${missing:=1}", &v).unwrap(), "n: 1");
        assert_eq!(
            substitute("n: ${empty:-x} ${empty-y}", &v).unwrap(),
            "n: x "
        );
        assert_eq!(substitute("$cluster-$missing.", &v).unwrap(), "prod-.");
        assert_eq!(
            substitute("cost: $$5 and $ alone", &v).unwrap(),
            "cost: $5 and $ alone"
        );
        assert!(substitute("bad: ${cluster", &v).is_err());
        assert!(substitute("bad: ${cluster^^}", &v).is_err());
    }
}
