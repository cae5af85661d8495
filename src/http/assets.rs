//! `GET /assets/{name}`: the pages' script and stylesheet
//! (`crate::pages::assets`), under names that carry their content's hash,
//! so they may be cached for a year.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use super::ApiError;
use super::reply::Body;
use crate::domain::Lang;
use crate::pages::assets;

/// A year: the name changes whenever the content does.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

pub fn serve(path: &str) -> Response<Body> {
    let Some(asset) = assets::find(path) else {
        return ApiError::NotFound.response(Lang::En);
    };
    let mut response = Response::new(Full::new(Bytes::from_static(asset.body)));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
