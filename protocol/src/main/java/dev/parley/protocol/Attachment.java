package dev.parley.protocol;

/**
 * A reference to media stored elsewhere (a CDN or object store); Parley never carries the bytes.
 *
 * @param url  where the client fetches it (http or https)
 * @param mime its media type, e.g. {@code image/png}
 * @param size its size in bytes
 */
public record Attachment(String url, String mime, long size) {
  public Attachment {
    Fields.require(url, "url", "attachment");
    Fields.require(mime, "mime", "attachment");
  }
}
