import Link from "next/link";

export default function Forbidden() {
  return (
    <div className="error-page">
      <p className="error-code">403</p>
      <h1>You do not have access to this page</h1>
      <p className="lede">Your role does not allow it. If you think it should, ask an administrator of your rekey.</p>
      <Link className="button secondary" href="/">
        Back to the start
      </Link>
    </div>
  );
}
