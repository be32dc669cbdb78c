"""WeChat official accounts and mini programs: the customer-service message webhook.

``inbound`` checks a push (size, signature, clock, nonce, XML, decryption) before anything is
read from it, ``services`` stores it once and resolves its customer, ``crypto`` is WeChat's
signature and AES scheme, ``messages`` parses the XML, ``config`` reads a channel's settings.
"""
