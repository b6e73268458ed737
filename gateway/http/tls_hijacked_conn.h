#ifndef BERTH_GATEWAY_HTTP_TLS_HIJACKED_CONN_H_
#define BERTH_GATEWAY_HTTP_TLS_HIJACKED_CONN_H_

#include <memory>
#include <string>

#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/stream.hpp"
#include "gateway/http/hijacked_conn.h"

namespace berth::gateway {

// A HijackedConn over an established TLS stream, which must outlive it.
// `buffered` holds plaintext already read past the request; Read() hands it
// out first. Works on either end of the connection (the tests use it as
// the client).
//
// CloseWrite() sends close_notify, then shuts down the socket's write side.
// Reading the peer's EOF accepts both close_notify and a bare TCP FIN: the
// docker CLI half-closes TLS connections on the TCP socket without a
// close_notify.
//
// HasBuffered() covers plaintext and records Asio has taken off the socket.
// A readable socket may still hold only part of a record, or a record with
// no data (a key update): Read() then blocks until data comes, which a
// well-behaved peer sends at once.
std::unique_ptr<HijackedConn> MakeTlsHijackedConn(
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream,
    std::string buffered);

}  // namespace berth::gateway

#endif  // BERTH_GATEWAY_HTTP_TLS_HIJACKED_CONN_H_
