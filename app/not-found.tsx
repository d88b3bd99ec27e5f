import Link from "next/link";

export default function NotFound() {
  return (
    <div className="error-page">
      <p className="error-code">404</p>
      <h1>Nothing here</h1>
      <p className="lede">This page does not exist, or the key or rotation it names does not.</p>
      <Link className="button secondary" href="/">
        Back to the start
      </Link>
    </div>
  );
}
