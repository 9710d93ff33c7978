use crate::{Result, Store};

impl Store {
    /// Counts one hit in `bucket`'s fixed window of `window` seconds starting at or before `now`.
    /// Returns the hits in the current window (this one included) and the window's start.
    /// One statement, so concurrent servers sharing the database count correctly.
    pub async fn hit_rate_limit(&self, bucket: &str, now: i64, window: i64) -> Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
               window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
             RETURNING hits, window_start",
        )
        .bind(bucket)
        .bind(now)
        .bind(now - window)
        .fetch_one(&self.pool)
        .await?)
    }
}
