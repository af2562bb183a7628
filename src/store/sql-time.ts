/** The database's clock in SQL: microseconds since the epoch, as every stored instant is. */
export const NOW_MICROS = '(extract(epoch FROM clock_timestamp()) * 1000000)::bigint';
